# syntax=docker/dockerfile:1
FROM --platform=${BUILDPLATFORM} tonistiigi/xx:1.5.0 AS xx

FROM --platform=$BUILDPLATFORM golang:1.23-alpine AS build
COPY --from=xx / /
ARG TARGETPLATFORM
ARG TARGETOS TARGETARCH TARGETVARIANT
RUN xx-apk add --no-cache musl-dev gcc
WORKDIR /go/src/cli
COPY . .
ENV CGO_ENABLED=1
RUN xx-go build -ldflags "-X main.version=${VERSION:-dev}" -o /out/cli-${TARGETOS}-${TARGETARCH}${TARGETVARIANT} ./cmd/cli && \
    xx-verify /out/cli-${TARGETOS}-${TARGETARCH}${TARGETVARIANT}

FROM scratch AS binaries
COPY --from=build /out/ /

FROM --platform=linux/amd64 alpine:3.20 AS amd64-runtime
COPY --from=build /out/cli-linux-amd64 /usr/local/bin/cli
ENTRYPOINT ["cli"]
