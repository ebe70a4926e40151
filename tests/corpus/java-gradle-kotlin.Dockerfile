FROM gradle:8.10-jdk21 AS build
WORKDIR /home/gradle/project
COPY --chown=gradle:gradle settings.gradle.kts build.gradle.kts gradle.properties ./
COPY --chown=gradle:gradle gradle ./gradle
RUN gradle --no-daemon dependencies > /dev/null
COPY --chown=gradle:gradle src ./src
RUN gradle --no-daemon shadowJar

FROM amazoncorretto:21-al2023-headless
COPY --from=build /home/gradle/project/build/libs/*-all.jar /opt/ktor/app.jar
EXPOSE 8080/tcp
ENV JAVA_TOOL_OPTIONS="-XX:+UseZGC -XX:+ZGenerational"
CMD ["java", "-jar", "/opt/ktor/app.jar"]
