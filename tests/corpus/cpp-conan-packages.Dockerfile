FROM conanio/gcc13-ubuntu16.04 AS builder
USER root
WORKDIR /project
COPY conanfile.txt .
RUN conan profile detect --force \
 && conan install . --output-folder=build --build=missing -s build_type=Release
COPY . .
RUN cmake -S . -B build -DCMAKE_TOOLCHAIN_FILE=build/conan_toolchain.cmake -DCMAKE_BUILD_TYPE=Release \
 && cmake --build build -j2

FROM debian:bookworm-slim
COPY --from=builder /project/build/imgresize /usr/local/bin/
ENTRYPOINT ["imgresize"]
