# Stand-in for eclipse-temurin:17-jdk: Debian's OpenJDK 17 (headless JDK).
FROM debian:bookworm
ENV JAVA_HOME=/opt/java/openjdk LANG=C.UTF-8
ENV PATH=$JAVA_HOME/bin:$PATH
COPY java-home.sh /usr/local/share/dopt/java-home.sh
# The JDK's postinst links man pages into man1 and fails without it.
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jdk-headless \
 && rm -rf /var/lib/apt/lists/* \
 && sh /usr/local/share/dopt/java-home.sh \
 && javac -version
CMD ["jshell"]
