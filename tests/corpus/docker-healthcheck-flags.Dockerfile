FROM nginx:1.27-alpine AS web
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --start-interval=1s --retries=3 CMD wget -qO- http://localhost/ || exit 1

FROM web AS web-exec
HEALTHCHECK --interval=1m30s --timeout=10s CMD ["wget", "-qO-", "http://localhost/"]

FROM web AS no-health
# the base image's check hits a port this variant does not listen on
HEALTHCHECK NONE

FROM web AS lower
healthcheck --retries=10 cmd curl -f http://localhost/ || exit 1
