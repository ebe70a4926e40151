# syntax=docker/dockerfile:1
FROM python:3.11-slim
WORKDIR /app

# everything, then the dependencies: every edit reinstalls them (B73)
COPY --chown=1000:1000 . .
RUN pip install --no-cache-dir -r requirements.txt
USER 1000
CMD ["python", "main.py"]
