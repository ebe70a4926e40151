FROM alpine:3.19
RUN apk add --no-cache dcron logrotate rsync
COPY crontab /etc/crontabs/root
COPY --chmod=755 scripts/ /usr/local/bin/
CMD ["crond", "-f", "-l", "2"]
