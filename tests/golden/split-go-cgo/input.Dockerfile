FROM golang:1.21-bullseye
RUN apt-get update && apt-get install -y libsqlite3-dev
WORKDIR /src
COPY . .
RUN go build -o /usr/local/bin/store .
ENTRYPOINT ["store"]
