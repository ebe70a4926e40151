# syntax=docker/dockerfile:1
FROM python:3.11-slim
RUN <<EOF
set -eux
apt-get update
apt-get install -y --no-install-recommends curl ca-certificates
rm -rf /var/lib/apt/lists/*
EOF
WORKDIR /code
COPY ./requirements.txt /code/requirements.txt
RUN pip install --no-cache-dir --upgrade -r /code/requirements.txt
COPY ./app /code/app
COPY <<-EOF /code/gunicorn.conf.py
	bind = "0.0.0.0:80"
	workers = 2
	worker_class = "uvicorn.workers.UvicornWorker"
	EOF
CMD ["gunicorn", "-c", "/code/gunicorn.conf.py", "app.main:app"]
