# syntax=docker/dockerfile:1
FROM python:3.11-slim
WORKDIR /app

COPY --chown=1000:1000 requirements.txt requirements-base.txt ./
RUN pip install --no-cache-dir -r requirements.txt
# everything, then the dependencies: every edit reinstalls them (B73)
COPY --chown=1000:1000 . .
USER 1000
CMD ["python", "main.py"]
