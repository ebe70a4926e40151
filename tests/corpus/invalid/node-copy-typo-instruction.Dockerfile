FROM node:20
WORKDIR /app
COPPY package.json ./
RUN npm ci
