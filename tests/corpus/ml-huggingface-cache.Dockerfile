# syntax=docker/dockerfile:1
FROM python:3.11-slim
ENV HF_HOME=/opt/hf \
    TRANSFORMERS_OFFLINE=0
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install "transformers==4.44.2" "torch==2.4.1" --extra-index-url https://download.pytorch.org/whl/cpu
ARG MODEL_ID=distilbert-base-uncased-finetuned-sst-2-english
RUN --mount=type=secret,id=hf_token,env=HF_TOKEN \
    python - <<EOF
from transformers import pipeline
pipeline("sentiment-analysis", model="${MODEL_ID}")
EOF
COPY serve.py /srv/serve.py
ENV TRANSFORMERS_OFFLINE=1
CMD ["python", "/srv/serve.py"]
