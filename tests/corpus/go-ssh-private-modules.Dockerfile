# syntax=docker/dockerfile:1
FROM golang:1.22-bookworm AS build
RUN mkdir -p -m 0700 ~/.ssh && ssh-keyscan git.internal.example.com >> ~/.ssh/known_hosts
RUN git config --global url."git@git.internal.example.com:".insteadOf "https://git.internal.example.com/"
ENV GOPRIVATE=git.internal.example.com/*
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=ssh,id=default,required=true go mod download
COPY . .
RUN --mount=type=cache,target=/root/.cache/go-build go build -o /out/billing ./cmd/billing

FROM gcr.io/distroless/base-debian12
COPY --from=build /out/billing /billing
CMD ["/billing"]
