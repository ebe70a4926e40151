FROM python:3.12-slim
WORKDIR /usr/src/app
ONBUILD COPY requirements.txt /usr/src/app/
ONBUILD RUN pip install --no-cache-dir -r requirements.txt
ONBUILD COPY . /usr/src/app
ONBUILD ENV APP_BUILT_FROM=onbuild-base APP_CHANNEL="stable"
ONBUILD LABEL com.example.base="python-onbuild"
CMD ["python", "main.py"]
