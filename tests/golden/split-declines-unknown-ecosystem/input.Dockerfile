FROM debian:bookworm
RUN apt-get update && apt-get install -y build-essential
COPY . /src
RUN make -C /src install PREFIX=/usr/local
CMD ["tool"]
