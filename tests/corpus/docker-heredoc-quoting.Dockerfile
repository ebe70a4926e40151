# syntax=docker/dockerfile:1
FROM debian:bookworm-slim
ARG GREETING=hello
RUN <<"EOF"
echo "literal $GREETING"
EOF
RUN <<\END_OF_SCRIPT
echo 'backslash-quoted delimiter'
END_OF_SCRIPT
RUN cat <<EOF | sh -s -- first
echo "args: $@ and $GREETING"
EOF
RUN echo "<<NOTADOC is inside quotes" && echo ok
RUN mkdir -p /etc/app && cat > /etc/app/env <<EOF2
MODE=production
EOF2
COPY --chmod=0755 <<-'SCRIPT' /usr/local/bin/healthcheck
	#!/bin/sh
	exec curl -fsS http://localhost:8080/health
	SCRIPT
