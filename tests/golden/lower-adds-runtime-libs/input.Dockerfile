FROM python:3.12 AS builder
RUN apt-get update && apt-get install -y libpq-dev gcc && pip install --prefix=/install psycopg2
FROM --platform=linux/amd64 python:3.12 AS app
COPY --from=builder /install /usr/local
RUN pip install --no-cache-dir scikit-learn
HEALTHCHECK CMD curl -f http://localhost:8000/ || exit 1
