FROM golang:1.22 AS tools
RUN CGO_ENABLED=0 go install github.com/jwilder/dockerize@v0.7.0

FROM alpine:3.19 AS unused
RUN echo never built

FROM python:3.11
COPY --from=0 /go/bin/dockerize /usr/local/bin/dockerize
RUN apt-get update && apt-get install -y gcc
RUN pip install --no-binary :all: pyyaml
CMD ["dockerize", "-wait", "tcp://db:5432", "python", "-c", "import yaml"]
