# Stand-in for golang:1.19: Debian bookworm's Go (1.19) on the buildpack-deps stand-in.
FROM buildpack-deps:bookworm
ENV GOPATH=/go
ENV PATH=$GOPATH/bin:/usr/lib/go/bin:$PATH
RUN apt-get update \
 && apt-get install -y --no-install-recommends golang-go \
 && rm -rf /var/lib/apt/lists/* \
 && go version | grep -q 'go1\.19' \
 && mkdir -p "$GOPATH/src" "$GOPATH/bin" \
 && chmod -R 1777 "$GOPATH"
WORKDIR $GOPATH
