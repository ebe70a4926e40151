# Scheduler: needs named time zones at run time (B67).
FROM golang:1.22-bookworm AS builder
ENV TZ=Europe/Berlin
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/scheduler ./cmd/scheduler

FROM gcr.io/distroless/static-debian12
ENV TZ=Europe/Berlin
COPY --from=builder /usr/share/zoneinfo /usr/share/zoneinfo
COPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=builder /out/scheduler /out/scheduler
WORKDIR /src
USER nobody
ENTRYPOINT ["/out/scheduler"]
