FROM golang:1.23
WORKDIR /src
COPY . .
RUN go build -o /bin/tool ./cmd/tool
ENTRYPOINT ["/bin/tool"]