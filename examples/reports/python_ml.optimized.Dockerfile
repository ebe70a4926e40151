# Optimized by dopt 0.1.0 (pipeline: reorder,split,lower,fuse,cleanup<no-recommends>); passes applied: reorder, split, lower, fuse, cleanup.
# Verified on a real engine against the original: 19/19 checks passed; 1585 MB -> 527 MB.
# Classifier service, as it grew: one stage on the full python image, every
# tool installed in its own step, the whole context copied before the
# dependencies are installed, and every cache left in the image.
FROM python:3.11 AS builder

ENV LANG=C.UTF-8 APP_CONFIG=/app/config.yaml

RUN apt-get update && \
    apt-get install --no-install-recommends -y gcc && \
    apt-get install --no-install-recommends -y g++ && \
    apt-get install --no-install-recommends -y make && \
    apt-get install --no-install-recommends -y libyaml-dev && \
    python -m venv /opt/venv && \
    apt-get clean && \
    rm -rf /var/lib/apt/lists/*
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /app
COPY requirements.txt ./

# PyYAML from source so it links libyaml (the C loader is several times faster).
RUN pip install --no-cache-dir --upgrade wheel && \
    pip install --no-cache-dir --no-binary PyYAML -r requirements.txt

FROM python:3.11-slim
ENV LANG=C.UTF-8 APP_CONFIG=/app/config.yaml
RUN apt-get update && \
    apt-get install -y --no-install-recommends libyaml-0-2 && \
    rm -rf /var/lib/apt/lists/* && \
    apt-get clean
COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY . .
RUN python -m app info

EXPOSE 8000
CMD ["python", "-m", "app", "serve"]
