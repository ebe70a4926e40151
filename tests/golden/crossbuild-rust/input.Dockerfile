# Rust service cross-compiled with tonistiigi/xx, which maps $TARGETPLATFORM to the Rust target.
FROM rust:1.79-bookworm AS build
COPY --from=tonistiigi/xx:1.4 / /
RUN apt-get update && apt-get install -y --no-install-recommends clang lld
ARG TARGETPLATFORM
RUN xx-apt-get install -y gcc libc6-dev
WORKDIR /src
COPY . .
RUN xx-cargo build --release \
 && cp target/$(xx-cargo --print-target-triple)/release/svc /usr/local/bin/svc \
 && xx-verify /usr/local/bin/svc

FROM debian:bookworm-slim
COPY --from=build /usr/local/bin/svc /usr/local/bin/svc
ENTRYPOINT ["/usr/local/bin/svc"]
