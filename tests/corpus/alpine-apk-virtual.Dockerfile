FROM alpine:3.20
ARG SOPS_VERSION=3.9.0
RUN apk add --no-cache bash curl jq git openssh-client \
 && apk add --no-cache --virtual .fetch-deps gnupg \
 && curl -fsSLo /usr/local/bin/sops "https://github.com/getsops/sops/releases/download/v${SOPS_VERSION}/sops-v${SOPS_VERSION}.linux.amd64" \
 && chmod +x /usr/local/bin/sops \
 && apk del .fetch-deps
ENTRYPOINT ["/bin/bash", "-c"]
CMD ["sops --version"]
