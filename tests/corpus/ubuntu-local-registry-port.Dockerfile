FROM localhost:5000/platform/base-ubuntu:22.04-20240901
FROM registry.internal.example.com:8443/mirror/library/ubuntu:22.04 AS mirror
FROM [::1]:5000/tools/shellcheck:0.10 AS lint
COPY --from=lint /bin/shellcheck /usr/local/bin/shellcheck
COPY --from=registry.internal.example.com:8443/mirror/busybox:1.36 /bin/busybox /bin/busybox
RUN shellcheck --version
