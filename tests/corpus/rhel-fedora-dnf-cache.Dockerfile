# syntax=docker/dockerfile:1
FROM registry.fedoraproject.org/fedora:40
RUN --mount=type=cache,target=/var/cache/libdnf5,sharing=locked \
    --mount=type=cache,target=/var/cache/dnf,sharing=locked \
    dnf -y install --setopt=keepcache=1 rpm-build rpmdevtools gcc make
RUN rpmdev-setuptree
COPY SPECS/ /root/rpmbuild/SPECS/
COPY SOURCES/ /root/rpmbuild/SOURCES/
RUN rpmbuild -ba /root/rpmbuild/SPECS/agent.spec
