# Stand-in for python:3.11 (Debian's python3 3.11 on the buildpack-deps stand-in).
FROM buildpack-deps:bookworm
# Debian's python in /usr/bin (the official image's is in /usr/local/bin); python:3.11-slim agrees.
ENV LANG=C.UTF-8 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
COPY python-setup.sh /usr/local/share/dopt/python-setup.sh
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-dev python3-pip python3-venv \
 && rm -rf /var/lib/apt/lists/* \
 && sh /usr/local/share/dopt/python-setup.sh
CMD ["python3"]
