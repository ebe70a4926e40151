FROM python:3.9-slim-bullseye as build
RUN pip install --no-cache-dir pipenv==2023.12.1
ENV PIPENV_VENV_IN_PROJECT=1
WORKDIR /build
COPY Pipfile Pipfile.lock ./
RUN pipenv install --deploy --ignore-pipfile

FROM python:3.9-slim-bullseye
WORKDIR /app
COPY --from=build /build/.venv ./.venv
COPY . .
ENV PATH=/app/.venv/bin:$PATH
STOPSIGNAL SIGINT
CMD ["python", "-m", "scheduler"]
