# syntax=docker/dockerfile:1
FROM node:20 AS assets
RUN mkdir -p /assets && echo built > /assets/app.css

FROM debian:bookworm
RUN --mount=type=bind,from=assets,source=/assets,target=/mnt/assets,rw \
    cp -r /mnt/assets /srv/assets
RUN --mount=type=cache,id=apt-lists,target=/var/lib/apt/lists,sharing=locked,mode=0755,uid=0,gid=0 \
    --mount=type=cache,target=/var/cache/apt,from=assets,source=/tmp \
    apt-get update
RUN --mount=type=tmpfs,target=/scratch,size=64m dd if=/dev/zero of=/scratch/blob bs=1M count=8
RUN --mount=type=secret,id=aws,target=/root/.aws/credentials,required,mode=0400,uid=0 \
    --mount=type=secret,id=npmrc \
    test -f /root/.aws/credentials
RUN --mount=type=ssh --mount=type=ssh,id=deploy,target=/run/ssh-deploy.sock,required=false \
    ssh-add -l || true
RUN --mount=target=/ctx,readonly ls /ctx
RUN --mount=type=bind,source=.,target=/src,ro=true make -C /src check
