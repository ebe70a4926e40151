FROM debian:bookworm-slim builder
RUN apt-get update
