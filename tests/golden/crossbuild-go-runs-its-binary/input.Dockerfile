# The builder runs the binary it built: cross-compiled, it would not run on the build machine.
FROM golang:1.19 AS builder
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /usr/local/bin/tzsvc .
RUN /usr/local/bin/tzsvc version

FROM gcr.io/distroless/static-debian12
COPY --from=builder /usr/local/bin/tzsvc /usr/local/bin/tzsvc
ENTRYPOINT ["/usr/local/bin/tzsvc"]
