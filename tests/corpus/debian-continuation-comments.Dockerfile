FROM debian:bookworm-slim
RUN apt-get update \
    # runtime libraries
    && apt-get install -y --no-install-recommends \
        libxml2 \
        # libxslt is needed by the report renderer
        libxslt1.1 \
    && rm -rf /var/lib/apt/lists/*

RUN set -eux; \
#   comment at column zero inside a continuation
    echo done
CMD ["bash"]
