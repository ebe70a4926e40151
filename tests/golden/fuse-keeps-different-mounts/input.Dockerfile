FROM debian:bookworm
RUN --mount=type=cache,target=/var/cache/apt apt-get update
RUN --mount=type=cache,target=/var/cache/apt apt-get install -y curl
# a different mount: this one stays its own layer
RUN --mount=type=cache,target=/root/.cache pip install flask
RUN echo done
