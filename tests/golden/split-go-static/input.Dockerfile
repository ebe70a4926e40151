# Scheduler: needs named time zones at run time (B67).
FROM golang:1.22-bookworm
ENV TZ=Europe/Berlin
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/scheduler ./cmd/scheduler
USER nobody
ENTRYPOINT ["/out/scheduler"]
