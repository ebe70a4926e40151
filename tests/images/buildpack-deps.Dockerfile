# Stand-in for buildpack-deps:bookworm: Debian plus compilers, VCS and the common -dev headers.
FROM debian:bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates curl gnupg netbase wget \
      git openssh-client procps \
      autoconf automake bzip2 dpkg-dev file g++ gcc make patch unzip xz-utils libtool build-essential \
      libbz2-dev libc6-dev libcurl4-openssl-dev libdb-dev libevent-dev libffi-dev libgdbm-dev \
      libglib2.0-dev libgmp-dev libjpeg-dev libkrb5-dev liblzma-dev libncurses5-dev libncursesw5-dev \
      libpng-dev libpq-dev libreadline-dev libsqlite3-dev libssl-dev libwebp-dev libxml2-dev \
      libxslt1-dev libyaml-dev zlib1g-dev default-libmysqlclient-dev \
 && rm -rf /var/lib/apt/lists/*
