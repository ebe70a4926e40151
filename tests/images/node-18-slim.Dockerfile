# Stand-in for node:18-slim: Debian's nodejs 18 and npm, no compilers.
FROM debian:bookworm-slim
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/* \
 && node --version | grep -q '^v18\.' \
 && npm --version
CMD ["node"]
