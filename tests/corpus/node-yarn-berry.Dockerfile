FROM node:20 AS build
WORKDIR /repo
RUN corepack enable
COPY .yarnrc.yml package.json yarn.lock ./
COPY .yarn/releases ./.yarn/releases
COPY .yarn/plugins ./.yarn/plugins
RUN --mount=type=cache,target=/root/.yarn/berry/cache,id=yarn-berry \
    yarn install --immutable
COPY . .
RUN yarn build && yarn workspaces focus --production api

FROM gcr.io/distroless/nodejs20-debian12:nonroot
COPY --from=build /repo/node_modules /app/node_modules
COPY --from=build /repo/packages/api/dist /app/dist
WORKDIR /app
CMD ["dist/main.js"]
