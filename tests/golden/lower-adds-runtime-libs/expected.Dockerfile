FROM python:3.12 AS builder
RUN apt-get update && apt-get install -y libpq-dev gcc && pip install --prefix=/install psycopg2
FROM --platform=linux/amd64 python:3.12-slim AS app
RUN apt-get update && \
    apt-get install -y --no-install-recommends curl libgomp1 libpq5 && \
    rm -rf /var/lib/apt/lists/*
COPY --from=builder /install /usr/local
RUN pip install --no-cache-dir scikit-learn
HEALTHCHECK CMD curl -f http://localhost:8000/ || exit 1
