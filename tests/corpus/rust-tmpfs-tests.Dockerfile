# syntax=docker/dockerfile:1.5
FROM rust:1.81-bookworm AS test
WORKDIR /src
COPY . .
# integration tests write scratch databases; keep them out of the layer
RUN --mount=type=tmpfs,target=/tmp,size=512m \
    --mount=type=cache,target=/usr/local/cargo/registry \
    --network=none \
    cargo test --offline --workspace -- --test-threads=2
RUN --network=host cargo fetch
