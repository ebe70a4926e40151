FROM rust:1.81
ONBUILD ONBUILD RUN cargo build --release
