# syntax=docker/dockerfile:1.4
FROM postgres:15-alpine
ENV POSTGRES_DB=analytics POSTGRES_USER=etl
COPY <<"EOSQL" /docker-entrypoint-initdb.d/001-schema.sql
CREATE SCHEMA IF NOT EXISTS raw;
CREATE TABLE raw.events (
    id bigserial PRIMARY KEY,
    payload jsonb NOT NULL,
    received_at timestamptz DEFAULT now()
);
EOSQL
COPY <<EOSQL /docker-entrypoint-initdb.d/002-grants.sql
GRANT USAGE ON SCHEMA raw TO ${POSTGRES_USER};
EOSQL
HEALTHCHECK --interval=5s --timeout=5s --retries=10 CMD pg_isready -U etl -d analytics
VOLUME /var/lib/postgresql/data
EXPOSE 5432
