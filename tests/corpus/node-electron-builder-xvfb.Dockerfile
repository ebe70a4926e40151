FROM node:20-bookworm
RUN dpkg --add-architecture i386 \
 && apt-get update \
 && apt-get install -y --no-install-recommends \
      xvfb libgtk-3-0 libnss3 libasound2 libgbm1 \
      wine wine32 \
 && rm -rf /var/lib/apt/lists/*
ENV ELECTRON_CACHE="/root/.cache/electron" \
    ELECTRON_BUILDER_CACHE="/root/.cache/electron-builder"
WORKDIR /project
VOLUME ["/root/.cache/electron", "/root/.cache/electron-builder"]
COPY . .
RUN npm ci
CMD ["xvfb-run", "--auto-servernum", "npm", "run", "dist"]
