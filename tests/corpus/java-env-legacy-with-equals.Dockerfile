FROM eclipse-temurin:17-jre
ENV JAVA_OPTS -Dspring.profiles.active=prod -Xmx512m
ENV LANG C.UTF-8
ENV PRICE=\$5 LITERAL='$HOME' MIXED="a 'b' c"
LABEL empty="" spaced="  padded  "
ARG PORT=8080
EXPOSE ${PORT}/tcp
COPY app.jar /app.jar
CMD java $JAVA_OPTS -jar /app.jar
