# Optimized by dopt 0.1.0 (pipeline: reorder,split,lower,fuse,cleanup<no-recommends>); passes applied: split, fuse, cleanup.
# Verified on a real engine against the original: 17/17 checks passed; 1850 MB -> 10 MB.
# Time-zone service, as it grew: the Go toolchain image ships, with the
# sources, the build cache and a few tools installed along the way.
FROM golang:1.19 AS builder

ENV TZ_DEFAULT=Europe/Berlin PORT=8080

RUN apt-get update && \
    apt-get install --no-install-recommends -y ca-certificates tzdata && \
    apt-get install --no-install-recommends -y git make && \
    apt-get clean && \
    rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .

RUN go vet ./... && \
    CGO_ENABLED=0 go build -o /usr/local/bin/tzsvc . && \
    /usr/local/bin/tzsvc version

FROM gcr.io/distroless/static-debian12
ENV TZ_DEFAULT=Europe/Berlin PORT=8080
COPY --from=builder /usr/share/zoneinfo /usr/share/zoneinfo
COPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=builder /usr/local/bin/tzsvc /usr/local/bin/tzsvc
WORKDIR /src

EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/tzsvc"]
CMD ["serve"]
