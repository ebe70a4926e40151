# syntax=docker/dockerfile:1
# TODO: write the real Dockerfile
# FROM alpine:3.20

