FROM node:20-bookworm AS builder
ENV NODE_ENV=development
RUN apt-get update && apt-get install -y python3 make g++ curl
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build
# the config is read at start-up
COPY config/production.json /etc/app/config.json
RUN npm prune --omit=dev

FROM node:20-bookworm
ENV NODE_ENV=development
RUN apt-get update && \
    apt-get install -y --no-install-recommends curl && \
    rm -rf /var/lib/apt/lists/*
COPY --from=builder /app /app
WORKDIR /app
COPY config/production.json /etc/app/config.json
HEALTHCHECK CMD curl -fsS http://localhost:3000/health || exit 1
EXPOSE 3000
CMD ["node", "dist/index.js"]
