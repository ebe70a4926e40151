# syntax=docker/dockerfile:1
FROM python:3.12-slim AS app-base
WORKDIR /app
ONBUILD COPY --chown=1000:1000 requirements.txt .
ONBUILD RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
ONBUILD RUN <<EOF
set -e
python -m compileall -q /app
EOF
ONBUILD COPY --from=assets /dist /app/static
ONBUILD Entrypoint ["python", "-m", "app"]
