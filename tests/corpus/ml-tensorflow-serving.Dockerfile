FROM tensorflow/serving:2.17.0
ENV MODEL_NAME=sentiment
COPY models/sentiment /models/sentiment
EXPOSE 8500 8501
HEALTHCHECK --interval=30s --timeout=10s --start-period=1m \
  CMD curl -f http://localhost:8501/v1/models/sentiment || exit 1
