# syntax=docker/dockerfile:1
FROM debian:bookworm-slim
RUN <<EOF
apt-get update
apt-get install -y --no-install-recommends curl
EOF
RUN <<-EOT bash
	set -euo pipefail
	echo "tabs stripped"
	EOT
RUN python3 <<'PY' || true
print("not expanded: $HOME")
PY
RUN <<FIRST <<SECOND
echo one
FIRST
echo two
SECOND
RUN cat <<EOF > /etc/motd && chmod 0644 /etc/motd
Welcome to $HOSTNAME
EOF
RUN 3<<EOF cat /dev/fd/3
via descriptor three
EOF
COPY <<conf.ini <<"run.sh" /opt/app/
[main]
debug = false
conf.ini
#!/bin/sh
exec /opt/app/bin/server "$@"
run.sh
CMD ["/opt/app/run.sh"]
