# Wheels with C extensions: they are built for the machine pip runs on.
FROM python:3.11 AS wheels
WORKDIR /w
COPY requirements.txt .
RUN pip wheel --wheel-dir /w/dist -r requirements.txt

FROM python:3.11-slim
COPY --from=wheels /w/dist /tmp/dist
RUN pip install --no-cache-dir /tmp/dist/*.whl && rm -rf /tmp/dist
CMD ["python", "-c", "import lxml"]
