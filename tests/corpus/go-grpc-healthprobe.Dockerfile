FROM golang:1.23 AS build
ARG GRPC_HEALTH_PROBE_VERSION=v0.4.34
ADD --chmod=755 https://github.com/grpc-ecosystem/grpc-health-probe/releases/download/${GRPC_HEALTH_PROBE_VERSION}/grpc_health_probe-linux-amd64 /bin/grpc_health_probe
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /out/inventory ./cmd/inventory

FROM gcr.io/distroless/static-debian12
COPY --from=build /bin/grpc_health_probe /bin/grpc_health_probe
COPY --from=build /out/inventory /inventory
EXPOSE 50051
HEALTHCHECK --interval=10s --timeout=2s CMD ["/bin/grpc_health_probe", "-addr=:50051"]
ENTRYPOINT ["/inventory"]
