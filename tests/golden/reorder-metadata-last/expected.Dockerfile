FROM golang:1.22 AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /out/app .

FROM gcr.io/distroless/static-debian12
COPY --from=build /out/app /app
LABEL maintainer="team@example.com"
EXPOSE 8080
ENV TZ=UTC
ENTRYPOINT ["/app"]
