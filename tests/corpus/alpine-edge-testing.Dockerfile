FROM alpine:edge
RUN echo "https://dl-cdn.alpinelinux.org/alpine/edge/testing" >> /etc/apk/repositories \
 && apk update \
 && apk add --no-cache k6 hey@testing || apk add --no-cache k6
ENTRYPOINT ["k6"]
CMD ["run", "/scripts/load.js"]
