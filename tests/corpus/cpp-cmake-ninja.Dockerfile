FROM ubuntu:24.04 AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build git ca-certificates libssl-dev zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt .
COPY cmake/ cmake/
COPY src/ src/
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
 && cmake --build build --parallel \
 && cmake --install build --prefix /opt/tileserver

FROM ubuntu:24.04
RUN apt-get update && apt-get install -y --no-install-recommends libssl3 zlib1g \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/tileserver /opt/tileserver
ENV LD_LIBRARY_PATH=/opt/tileserver/lib
EXPOSE 7070
ENTRYPOINT ["/opt/tileserver/bin/tileserver"]
CMD ["--config", "/etc/tileserver.toml"]
