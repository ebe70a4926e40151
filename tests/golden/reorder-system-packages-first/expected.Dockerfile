FROM debian:bookworm-slim
WORKDIR /srv
# hadolint ignore=DL3008
RUN apt-get update && apt-get install -y --no-install-recommends curl
COPY . .
RUN ./build.sh
LABEL org.opencontainers.image.title=tool
EXPOSE 8080
ENTRYPOINT ["/srv/tool"]
