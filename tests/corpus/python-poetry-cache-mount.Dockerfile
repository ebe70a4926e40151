# syntax=docker/dockerfile:1.7
FROM python:3.12-slim AS base
ENV POETRY_VERSION=1.8.3 \
    POETRY_HOME=/opt/poetry \
    POETRY_VIRTUALENVS_IN_PROJECT=true \
    POETRY_NO_INTERACTION=1

FROM base AS deps
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install "poetry==${POETRY_VERSION}"
WORKDIR /app
COPY pyproject.toml poetry.lock ./
RUN --mount=type=cache,target=/root/.cache/pypoetry,sharing=locked \
    poetry install --only main --no-root

FROM base AS final
WORKDIR /app
COPY --from=deps /app/.venv /app/.venv
COPY src/ ./src/
ENV PATH="/app/.venv/bin:${PATH}"
ENTRYPOINT ["python", "-m", "inventory_service"]
