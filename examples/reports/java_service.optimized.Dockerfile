# Optimized by dopt 0.1.0 (pipeline: reorder,split,lower,fuse,cleanup<no-recommends>); passes applied: split, lower, fuse, cleanup.
# Verified on a real engine against the original: 16/16 checks passed; 1088 MB -> 434 MB.
# Inventory service, as it grew: the JDK image ships, with Maven and
# friends installed "just in case", sources and class files left in /app.
FROM eclipse-temurin:17-jdk AS builder

ENV LANG=C.UTF-8 PORT=8080

RUN apt-get update && \
    apt-get install --no-install-recommends -y maven && \
    apt-get install --no-install-recommends -y git && \
    apt-get install --no-install-recommends -y curl unzip && \
    apt-get clean && \
    rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . .

# --date makes the jar byte-reproducible.
RUN mkdir -p build/classes && \
    javac --release 17 -d build/classes $(find src/main/java -name '*.java') && \
    jar --create --file service.jar --manifest MANIFEST.MF --date=2024-01-01T00:00:00Z -C build/classes . -C src/main/resources . && \
    java -jar service.jar version

FROM eclipse-temurin:17-jre
ENV LANG=C.UTF-8 PORT=8080
COPY --from=builder /app/service.jar /app/service.jar
WORKDIR /app

EXPOSE 8080
ENTRYPOINT ["java", "-jar", "/app/service.jar"]
CMD ["serve"]
