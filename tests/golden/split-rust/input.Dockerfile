FROM rust:1-bookworm
WORKDIR /src
COPY . .
RUN cargo build --release --locked
RUN useradd --system svc
USER svc
CMD ["/src/target/release/webd", "--port", "8000"]
