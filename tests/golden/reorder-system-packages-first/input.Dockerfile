FROM debian:bookworm-slim
WORKDIR /srv
COPY . .
LABEL org.opencontainers.image.title=tool
# hadolint ignore=DL3008
RUN apt-get update && apt-get install -y --no-install-recommends curl
RUN ./build.sh
EXPOSE 8080
ENTRYPOINT ["/srv/tool"]
