# Stand-in for python:3.11-slim: interpreter, pip and venv, no compilers.
FROM debian:bookworm-slim
ENV LANG=C.UTF-8 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
COPY python-setup.sh /usr/local/share/dopt/python-setup.sh
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip python3-venv \
 && rm -rf /var/lib/apt/lists/* \
 && sh /usr/local/share/dopt/python-setup.sh
CMD ["python3"]
