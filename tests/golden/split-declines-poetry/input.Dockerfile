FROM python:3.11
RUN apt-get update && apt-get install -y gcc
RUN pip install poetry
COPY . /app
WORKDIR /app
RUN poetry install --no-root
CMD ["poetry", "run", "app"]
