FROM hugomods/hugo:exts-0.134.2 AS builder
ARG HUGO_BASEURL=https://docs.example.com/
ENV HUGO_ENV=production
WORKDIR /src
COPY . /src
RUN hugo --minify --gc --enableGitInfo=false --baseURL "$HUGO_BASEURL"

FROM nginx:1.27-alpine-slim
COPY --from=builder /src/public /usr/share/nginx/html
EXPOSE 80
HEALTHCHECK CMD wget -q --spider http://localhost/ || exit 1
