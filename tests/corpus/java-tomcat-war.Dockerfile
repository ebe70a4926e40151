FROM tomcat:10.1-jdk17-temurin-jammy
LABEL maintainer="ops@example.org"
RUN rm -rf /usr/local/tomcat/webapps/*
COPY target/ROOT.war /usr/local/tomcat/webapps/ROOT.war
COPY conf/server.xml conf/context.xml /usr/local/tomcat/conf/
ENV CATALINA_OPTS="-Xms512m -Xmx1024m -Dfile.encoding=UTF-8"
EXPOSE 8080 8443
STOPSIGNAL SIGTERM
CMD ["catalina.sh", "run"]
