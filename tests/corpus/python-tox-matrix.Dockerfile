ARG PYTHON_VERSION=3.12
ARG DEBIAN_RELEASE=bookworm
FROM python:${PYTHON_VERSION}-${DEBIAN_RELEASE}
ARG PYTHON_VERSION
RUN pip install --no-cache-dir tox==4.18.0
WORKDIR /src
COPY . .
RUN echo "testing on ${PYTHON_VERSION}" && tox --notest
ENTRYPOINT ["tox"]
CMD ["-e", "lint"]
