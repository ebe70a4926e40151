FROM eclipse-temurin:21-jre
LABEL release
COPY app.jar /app.jar
