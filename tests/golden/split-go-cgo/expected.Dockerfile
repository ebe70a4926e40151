FROM golang:1.21-bullseye AS builder
RUN apt-get update && apt-get install -y libsqlite3-dev
WORKDIR /src
COPY . .
RUN go build -o /usr/local/bin/store .

FROM debian:bullseye-slim
RUN apt-get update && \
    apt-get install -y --no-install-recommends libsqlite3-0 && \
    rm -rf /var/lib/apt/lists/*
COPY --from=builder /usr/share/zoneinfo /usr/share/zoneinfo
COPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=builder /usr/local/bin/store /usr/local/bin/store
WORKDIR /src
ENTRYPOINT ["store"]
