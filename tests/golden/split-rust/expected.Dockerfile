FROM rust:1-bookworm AS builder
WORKDIR /src
COPY . .
RUN cargo build --release --locked
RUN useradd --system svc

FROM debian:bookworm-slim
RUN apt-get update && \
    apt-get install -y --no-install-recommends ca-certificates libssl3 && \
    rm -rf /var/lib/apt/lists/*
COPY --from=builder /src/target/release/webd /src/target/release/webd
WORKDIR /src
RUN useradd --system svc
USER svc
CMD ["/src/target/release/webd", "--port", "8000"]
