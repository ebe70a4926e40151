FROM rust:1.80 AS build
RUN rustup target add wasm32-unknown-unknown \
 && cargo install --locked trunk wasm-bindgen-cli
WORKDIR /site
COPY . .
RUN trunk build --release --public-url /

FROM caddy:2.8-alpine
COPY --from=build /site/dist /srv
COPY Caddyfile /etc/caddy/Caddyfile
EXPOSE 80 443 443/udp
