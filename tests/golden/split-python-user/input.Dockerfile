FROM python:3.11
RUN apt-get update && apt-get install -y build-essential libffi-dev
RUN pip install --user --no-cache-dir --no-binary cffi cffi gunicorn
RUN useradd -m app
WORKDIR /home/app
COPY app.py .
USER app
CMD ["gunicorn", "--version"]
