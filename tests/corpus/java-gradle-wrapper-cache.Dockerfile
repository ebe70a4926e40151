# syntax=docker/dockerfile:1.4
FROM eclipse-temurin:17-jdk AS builder
WORKDIR /src
COPY gradlew .
COPY gradle gradle
COPY build.gradle settings.gradle ./
RUN --mount=type=cache,target=/root/.gradle,id=gradle-cache,sharing=shared \
    ./gradlew --no-daemon --version
COPY src src
RUN --mount=type=cache,target=/root/.gradle,id=gradle-cache,sharing=shared \
    ./gradlew --no-daemon bootJar -x test

FROM eclipse-temurin:17-jre-alpine
VOLUME /tmp
COPY --from=builder /src/build/libs/*.jar /app.jar
ENTRYPOINT ["java","-Djava.security.egd=file:/dev/./urandom","-jar","/app.jar"]
