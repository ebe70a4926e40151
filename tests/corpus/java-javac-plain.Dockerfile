FROM openjdk:11-jdk-slim
WORKDIR /usr/src/hello
COPY Main.java .
RUN javac Main.java
CMD java Main
