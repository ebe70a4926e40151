FROM python:3.11
RUN apt-get update
RUN apt-get install -y libpq-dev
RUN pip install psycopg2
RUN curl -o /tmp/big.tgz https://example.com/big.tgz && tar -C /opt -xzf /tmp/big.tgz
ENV STAGE=build
RUN rm -rf /tmp/big.tgz
