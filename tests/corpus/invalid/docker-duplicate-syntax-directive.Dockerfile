# syntax=docker/dockerfile:1
# syntax=docker/dockerfile:1.7-labs
FROM alpine:3.20
