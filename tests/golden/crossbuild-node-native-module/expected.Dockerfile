# The app folder with node_modules goes to the runtime, and bcrypt is a native addon.
FROM node:18 AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY . .

FROM node:18-slim
WORKDIR /app
COPY --from=build /app /app
CMD ["node", "server.js"]
