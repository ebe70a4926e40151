from node:16-buster as base
workdir /srv/bot
copy package.json yarn.lock ./
run yarn install --frozen-lockfile --production
copy . .
env DISCORD_LOG_LEVEL=warn
expose 8080
user node
cmd ["node", "bot.js"]
