FROM nginxinc/nginx-unprivileged:1.27-alpine
USER root
RUN apk add --no-cache curl
USER 101
COPY --chown=101:101 nginx/spa.conf /etc/nginx/conf.d/default.conf
COPY --chown=101:101 build/ /usr/share/nginx/html/
EXPOSE 8080
HEALTHCHECK --interval=1m --timeout=3s \
    CMD curl -fs http://127.0.0.1:8080/ > /dev/null || exit 1
