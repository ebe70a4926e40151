# syntax=docker/dockerfile:1.6
FROM debian:bookworm-slim
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d \
    https://mirrors.edge.kernel.org/pub/software/scm/git/git-2.40.0.tar.gz /usr/src/
ADD --keep-git-dir=true https://github.com/moby/buildkit.git#v0.16.0 /src/buildkit
ADD git@github.com:example/private-config.git#main:deploy /etc/app
ADD --chown=1000:1000 --chmod=0640 --link https://example.com/releases/app-1.2.3.tar.gz /opt/
ADD vendor.tar.gz /opt/vendor/
ADD --exclude=*.bak ["conf dir/", "/etc/app conf/"]
