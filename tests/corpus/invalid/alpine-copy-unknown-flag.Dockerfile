FROM alpine:3.20
COPY --owner=1000:1000 app/ /srv/app/
