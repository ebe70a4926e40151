FROM debian:bookworm-slim
SHELL /bin/bash -o pipefail -c
RUN curl -fsSL https://example.com/install.sh | bash
