FROM golang:1.23-alpine3.20 AS builder
RUN apk add --no-cache build-base sqlite-dev
WORKDIR /app
COPY . .
RUN CGO_ENABLED=1 go build -tags "sqlite_omit_load_extension" -ldflags '-linkmode external -extldflags "-static"' -o notes .

FROM alpine:3.20
RUN apk add --no-cache sqlite-libs
COPY --from=builder /app/notes /usr/local/bin/notes
VOLUME ["/data"]
ENV NOTES_DB=/data/notes.db
EXPOSE 4000
CMD ["notes", "serve"]
