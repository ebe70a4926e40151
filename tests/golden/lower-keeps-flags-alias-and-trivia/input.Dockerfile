# syntax=docker/dockerfile:1
ARG NODE=20

# the builder keeps its full image: only the runtime chain is lowered
FROM --platform=$BUILDPLATFORM node:${NODE}-bookworm AS Deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev

# runtime base (lowered), then the final stage built on it
FROM --platform=$TARGETPLATFORM docker.io/library/node:${NODE}-bookworm AS runtime
ENV NODE_ENV=production
FROM runtime
COPY --from=Deps /app/node_modules /app/node_modules
COPY . /app
HEALTHCHECK CMD ["node", "/app/health.js"]
CMD ["node", "/app/index.js"]
