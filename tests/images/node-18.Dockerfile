# Stand-in for node:18: Debian's nodejs 18 and npm on the buildpack-deps stand-in.
FROM buildpack-deps:bookworm
# nodejs.org (where node-gyp fetches headers) is unreachable: build native modules
# against Debian's libnode-dev headers instead.
ENV npm_config_nodedir=/usr \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm libnode-dev \
 && rm -rf /var/lib/apt/lists/* \
 && node --version | grep -q '^v18\.' \
 && npm --version
CMD ["node"]
