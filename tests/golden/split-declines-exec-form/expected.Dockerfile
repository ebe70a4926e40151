FROM python:3.11
RUN ["apt-get", "install", "-y", "gcc"]
RUN pip install --no-binary :all: pyyaml
CMD ["python"]
