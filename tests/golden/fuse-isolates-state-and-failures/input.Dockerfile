FROM alpine:3.19
# build in a scratch folder
RUN mkdir -p /tmp/build && cd /tmp/build
RUN pwd > /where.txt
# hadolint ignore=DL3018
RUN optional-tool --init || true
RUN tar -xf /tmp/x.tar -C /opt
ENV A=1
ENV B=2
ENV C=$A
