# syntax=docker/dockerfile:1.6
FROM python:3.11 AS wheels
WORKDIR /wheels
COPY requirements.txt .
RUN pip wheel --wheel-dir=/wheels -r requirements.txt

FROM python:3.11-slim
COPY --link --from=wheels /wheels /wheels
RUN pip install --no-index --find-links=/wheels /wheels/*.whl && rm -rf /wheels
COPY --link --chmod=644 config/logging.ini /etc/app/logging.ini
COPY --link src/ /opt/app/
WORKDIR /opt/app
CMD ["python", "-m", "reportgen"]
