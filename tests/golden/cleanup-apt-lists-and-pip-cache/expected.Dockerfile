FROM python:3.11
RUN apt-get update && \
    apt-get install -y libpq-dev && \
    apt-get clean && \
    rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir psycopg2
RUN curl -o /tmp/big.tgz https://example.com/big.tgz && \
    tar -C /opt -xzf /tmp/big.tgz && \
    rm -rf /tmp/big.tgz
ENV STAGE=build
