# syntax=docker/dockerfile:1
FROM python:3.12-slim
RUN <<EOF
pip install --no-cache-dir flask
python -c "import flask"
CMD ["flask", "run"]
