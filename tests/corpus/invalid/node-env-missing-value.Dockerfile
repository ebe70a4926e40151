FROM node:20-alpine
WORKDIR /app
ENV NODE_ENV
COPY . .
CMD ["node", "index.js"]
