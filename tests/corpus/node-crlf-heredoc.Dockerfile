FROM node:20-alpine
WORKDIR /app
COPY package.json ./
RUN npm install \

  --omit=dev
RUN <<EOF
node -e "console.log(1)"
EOF
COPY <<EOF /app/.npmrc
fund=false
EOF
CMD ["node", "index.js"]
