ARG BASE_REGISTRY=docker.io
ARG BASE_IMAGE=library/debian
ARG BASE_TAG="bookworm-slim"
FROM ${BASE_REGISTRY}/${BASE_IMAGE}:${BASE_TAG}
ARG BASE_TAG
ARG VERSION
ARG BUILD_DATE=unknown COMMIT_SHA
ARG HTTP_PROXY
ARG GREETING="hello world"
ARG EMPTY=
LABEL org.opencontainers.image.version=$VERSION \
      org.opencontainers.image.created=$BUILD_DATE \
      org.opencontainers.image.base.name=$BASE_TAG
RUN echo "$GREETING from ${VERSION:-dev} ${COMMIT_SHA:+($COMMIT_SHA)}"
