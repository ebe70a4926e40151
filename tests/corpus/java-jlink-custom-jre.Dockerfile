FROM eclipse-temurin:21-jdk-alpine AS jre-build
RUN $JAVA_HOME/bin/jlink \
         --add-modules java.base,java.logging,java.net.http,java.sql,jdk.crypto.ec \
         --strip-debug \
         --no-man-pages \
         --no-header-files \
         --compress=zip-6 \
         --output /javaruntime
COPY target/billing.jar /tmp/billing.jar

FROM alpine:3.20
ENV JAVA_HOME=/opt/java/openjdk
ENV PATH "${JAVA_HOME}/bin:${PATH}"
COPY --from=jre-build /javaruntime $JAVA_HOME
RUN mkdir /opt/app
COPY --from=jre-build /tmp/billing.jar /opt/app/billing.jar
CMD ["java", "-jar", "/opt/app/billing.jar"]
