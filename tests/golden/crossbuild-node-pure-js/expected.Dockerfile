# A front end: only the bundle in dist/ is served, so the build runs natively.
FROM --platform=$BUILDPLATFORM node:18 AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

FROM nginx:1.25
COPY --from=build /app/dist /usr/share/nginx/html
