FROM bash:5.2
SHELL ["/usr/local/bin/bash", "-o", "pipefail", "-c"]
RUN curl -fsSL https://example.com/install.sh | bash -s -- --prefix=/usr/local || echo offline
SHELL [ "/bin/sh", "-c" ]
ENTRYPOINT /usr/local/bin/start.sh --foreground
CMD -v --foreground
ENTRYPOINT ["/usr/local/bin/start.sh"]
CMD ["--foreground", "--log-level", "debug"]
CMD []
