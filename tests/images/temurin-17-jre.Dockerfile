# Stand-in for eclipse-temurin:17-jre: Debian's headless OpenJDK 17 runtime on the slim base.
FROM debian:bookworm-slim
ENV JAVA_HOME=/opt/java/openjdk LANG=C.UTF-8
ENV PATH=$JAVA_HOME/bin:$PATH
COPY java-home.sh /usr/local/share/dopt/java-home.sh
# The JRE's postinst links man pages into man1 and fails without it (slim has no man dirs).
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
 && rm -rf /var/lib/apt/lists/* \
 && sh /usr/local/share/dopt/java-home.sh
