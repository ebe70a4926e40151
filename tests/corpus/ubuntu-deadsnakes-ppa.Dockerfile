FROM ubuntu:24.04
RUN apt-get update \
 && apt-get install -y --no-install-recommends software-properties-common gpg-agent \
 && add-apt-repository -y ppa:deadsnakes/ppa \
 && apt-get update \
 && apt-get install -y --no-install-recommends python3.13 python3.13-venv \
 && rm -rf /var/lib/apt/lists/*
RUN python3.13 -m venv /venv
ENV PATH="/venv/bin:$PATH" VIRTUAL_ENV=/venv
CMD ["python", "--version"]
