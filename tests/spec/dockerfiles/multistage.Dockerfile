FROM python:3.11 AS builder
RUN pip install --user flask==3.0.0
FROM python:3.11-slim
COPY --from=builder /root/.local /root/.local
CMD ["python", "-m", "flask", "run"]
