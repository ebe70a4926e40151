# syntax=docker/dockerfile:1
FROM python:3.12-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir \
      -r requirements.txt
# comment line
COPY . .
ENV FLASK_ENV=production \
    PORT=8080
EXPOSE 8080
CMD ["python", "app.py"]
