FROM debian:bookworm-slim
RUN echo "deb http://deb.debian.org/debian bookworm-backports main" > /etc/apt/sources.list.d/backports.list \
 && apt-get update \
 && apt-get install -y -t bookworm-backports --no-install-recommends bpftrace linux-perf \
 && rm -rf /var/lib/apt/lists/*
RUN --security=insecure mount -t debugfs none /sys/kernel/debug && bpftrace --info
ENTRYPOINT ["bpftrace"]
