FROM node:20-alpine
RUN apk add --no-cache tini
WORKDIR /home/node/app
COPY --chown=node:node package.json package-lock.json ./
RUN npm ci --omit=dev
COPY --chown=node:node . .
USER node
ENTRYPOINT ["/sbin/tini", "--"]
CMD ["node", "--enable-source-maps", "index.js"]
