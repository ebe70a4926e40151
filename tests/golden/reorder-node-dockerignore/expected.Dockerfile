FROM node:20
ENV NODE_ENV=production
WORKDIR /usr/src/app
COPY package.json package-lock.json ./
RUN npm ci --include=dev && npm cache clean --force
COPY . .
RUN npm run build
CMD ["node", "dist/index.js"]
