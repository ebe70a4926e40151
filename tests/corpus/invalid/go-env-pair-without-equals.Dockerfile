FROM golang:1.23
ENV CGO_ENABLED=0 \
    GOFLAGS=-trimpath \
    GOAMD64
RUN go build ./...
