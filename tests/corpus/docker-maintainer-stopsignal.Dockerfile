FROM debian:bookworm-slim
MAINTAINER "Ops Team" <ops@example.com>
RUN apt-get update && apt-get install -y --no-install-recommends haproxy && rm -rf /var/lib/apt/lists/*
COPY haproxy.cfg /usr/local/etc/haproxy/haproxy.cfg
STOPSIGNAL SIGUSR1
STOPSIGNAL 15
CMD ["haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]
