FROM golang:1.22 AS tools
RUN CGO_ENABLED=0 go install github.com/jwilder/dockerize@v0.7.0

FROM alpine:3.19 AS unused
RUN echo never built

FROM python:3.11 AS builder
COPY --from=0 /go/bin/dockerize /usr/local/bin/dockerize
RUN apt-get update && apt-get install -y gcc
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
RUN pip install --no-binary :all: pyyaml

FROM python:3.11
COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY --from=0 /go/bin/dockerize /usr/local/bin/dockerize
CMD ["dockerize", "-wait", "tcp://db:5432", "python", "-c", "import yaml"]
