# API with psycopg2 built from source.
FROM python:3.12-bookworm AS builder

ENV PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y gcc libpq-dev
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /srv
COPY requirements.txt .
# psycopg2 (not -binary): links the system libpq.
RUN pip install --no-cache-dir -r requirements.txt

FROM python:3.12-bookworm
ENV PYTHONUNBUFFERED=1
RUN apt-get update && \
    apt-get install -y --no-install-recommends libpq5 && \
    rm -rf /var/lib/apt/lists/*
COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /srv
COPY . .
RUN python -m compileall -q .
USER nobody
EXPOSE 8080
HEALTHCHECK CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://localhost:8080/health')"]
CMD ["gunicorn", "-b", "0.0.0.0:8080", "api:app"]
