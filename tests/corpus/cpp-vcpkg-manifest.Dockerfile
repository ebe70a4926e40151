FROM mcr.microsoft.com/devcontainers/cpp:1-debian-12 AS build
ENV VCPKG_ROOT=/usr/local/vcpkg \
    VCPKG_DEFAULT_BINARY_CACHE=/root/.cache/vcpkg
WORKDIR /work
COPY vcpkg.json vcpkg-configuration.json ./
RUN --mount=type=cache,target=/root/.cache/vcpkg \
    mkdir -p $VCPKG_DEFAULT_BINARY_CACHE && \
    $VCPKG_ROOT/vcpkg install --triplet x64-linux
COPY . .
RUN cmake --preset release && cmake --build --preset release

FROM debian:12-slim
COPY --from=build /work/out/release/geoindex /usr/bin/geoindex
CMD ["geoindex", "--serve"]
