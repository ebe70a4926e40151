# Optimized by dopt 0.1.0 (pipeline: reorder,split,lower,fuse,cleanup<no-recommends>); passes applied: reorder, split, lower, fuse, cleanup.
# Verified on a real engine against the original: 18/18 checks passed; 1474 MB -> 438 MB.
# Accounts API, as it grew: full node image, build toolchain and dev
# dependencies shipped, sources copied before npm install, npm cache kept.
FROM node:18 AS builder

# node-gyp builds bcrypt against the system headers (no header download).
ENV PORT=3000 npm_config_nodedir=/usr npm_config_build_from_source=true

RUN apt-get update && \
    apt-get install --no-install-recommends -y python3 && \
    apt-get install --no-install-recommends -y make g++ && \
    apt-get install --no-install-recommends -y git && \
    apt-get clean && \
    rm -rf /var/lib/apt/lists/*

WORKDIR /usr/src/app
COPY package.json package-lock.json ./

RUN npm install && npm cache clean --force
COPY . .
RUN npm run build && node dist/cli.js version && npm prune --omit=dev

FROM node:18-slim
ENV PORT=3000 npm_config_nodedir=/usr npm_config_build_from_source=true
COPY --from=builder /usr/src/app /usr/src/app
WORKDIR /usr/src/app

EXPOSE 3000
CMD ["node", "dist/server.js"]
