FROM golang:1.23 AS go-onbuild
WORKDIR /go/src/app
ONBUILD ARG APP_VERSION=dev
ONBUILD COPY . .
ONBUILD RUN go build -ldflags "-X main.version=${APP_VERSION}" -o /go/bin/app .
ONBUILD WORKDIR /go/src/app
ONBUILD USER nobody
ONBUILD EXPOSE 8080
ONBUILD CMD ["/go/bin/app"]
ONBUILD HEALTHCHECK --interval=5s CMD ["/go/bin/app", "-health"]
onbuild add config.yaml /etc/app/config.yaml
