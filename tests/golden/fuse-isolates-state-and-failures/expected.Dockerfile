FROM alpine:3.19
# build in a scratch folder
# hadolint ignore=DL3018
RUN (mkdir -p /tmp/build && cd /tmp/build) && \
    pwd > /where.txt && \
    { optional-tool --init || true; } && \
    tar -xf /tmp/x.tar -C /opt
ENV A=1 B=2
ENV C=$A
