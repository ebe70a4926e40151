FROM python:3.11
WORKDIR /src
COPY . .
# builds a C extension in the final stage: lower must leave it to split
RUN apt-get update && apt-get install -y --no-install-recommends build-essential \
    && pip install --no-cache-dir . \
    && rm -rf /var/lib/apt/lists/*
CMD ["python", "-m", "app"]
