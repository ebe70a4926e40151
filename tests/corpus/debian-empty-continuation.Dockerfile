FROM debian:bookworm-slim
RUN apt-get update && \
    apt-get install -y curl \

    && rm -rf /var/lib/apt/lists/*
ENV A=1 \

    B=2
LABEL stage=\
final
CMD ["curl", "--version"]
