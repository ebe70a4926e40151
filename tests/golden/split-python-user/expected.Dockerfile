FROM python:3.11 AS builder
RUN apt-get update && apt-get install -y build-essential libffi-dev
RUN pip install --user --no-cache-dir --no-binary cffi cffi gunicorn

FROM python:3.11
RUN apt-get update && \
    apt-get install -y --no-install-recommends libffi8 && \
    rm -rf /var/lib/apt/lists/*
RUN useradd -m app
COPY --from=builder --chown=app /root/.local /home/app/.local
ENV PATH=/home/app/.local/bin:$PATH
WORKDIR /home/app
COPY app.py .
USER app
CMD ["gunicorn", "--version"]
