# syntax=docker/dockerfile:1.7-labs
FROM node:20-alpine AS monorepo-deps
WORKDIR /repo
# keep the package tree but nothing else, so source edits do not bust the cache
COPY --parents packages/*/package.json apps/*/package.json ./
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
RUN corepack enable && pnpm fetch
COPY --exclude=**/*.test.ts --exclude=**/__snapshots__ . .
COPY --parents=true --exclude=*.md ./docs/**/ /out/
RUN pnpm install --offline --frozen-lockfile && pnpm -r build
