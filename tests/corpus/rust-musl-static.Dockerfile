FROM rust:1.81-alpine AS build
RUN apk add --no-cache musl-dev openssl-dev openssl-libs-static pkgconfig
WORKDIR /usr/src/ripstat
COPY Cargo.toml Cargo.lock ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs && cargo build --release && rm -rf src
COPY src ./src
RUN touch src/main.rs && cargo build --release --locked

FROM scratch
COPY --from=build /usr/src/ripstat/target/release/ripstat /ripstat
ENTRYPOINT ["/ripstat"]
