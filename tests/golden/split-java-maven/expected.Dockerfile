FROM maven:3.9-eclipse-temurin-17 AS builder
ARG SKIP_TESTS=true
ENV JAVA_OPTS="-Xmx512m"
WORKDIR /build
COPY pom.xml .
RUN mvn -B dependency:go-offline
COPY src ./src
RUN mvn -B package -DskipTests=$SKIP_TESTS

FROM maven:3.9-eclipse-temurin-17
ENV JAVA_OPTS=-Xmx512m
COPY --from=builder /build/target/app.jar /build/target/app.jar
WORKDIR /build
EXPOSE 8080
ENTRYPOINT ["java", "-jar", "/build/target/app.jar"]
