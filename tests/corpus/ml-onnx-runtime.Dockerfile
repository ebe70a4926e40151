FROM mcr.microsoft.com/azureml/onnxruntime:v1.4.0 AS base
FROM python:3.10-slim
RUN pip install --no-cache-dir onnxruntime==1.19.2 numpy==1.26.4 fastapi==0.115.0 uvicorn==0.30.6
COPY model.onnx /models/model.onnx
COPY app /app
WORKDIR /app
EXPOSE 8080
CMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8080"]
