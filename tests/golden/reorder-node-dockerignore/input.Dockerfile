FROM node:20
ENV NODE_ENV=production
WORKDIR /usr/src/app
COPY . .
RUN npm ci --include=dev && npm cache clean --force
RUN npm run build
CMD ["node", "dist/index.js"]
