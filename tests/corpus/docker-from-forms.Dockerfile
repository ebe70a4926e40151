ARG REGISTRY=registry.example.com:5000
ARG ALPINE_VERSION=3.20
FROM --platform=linux/arm64 alpine:${ALPINE_VERSION} AS arm
FROM --platform=$TARGETPLATFORM ${REGISTRY}/team/base:1.4.2 AS base
FROM ${REGISTRY}/team/base@sha256:9b2a28eb47540823042a2ba401386845089bb7b62a9637d55816132c4c3c36eb as pinned
FROM ubuntu
FROM ubuntu:latest
FROM docker.io/library/ubuntu:noble-20240827.1
FROM base AS derived
FROM derived
FROM quay.io/prometheus/busybox:latest AS final
COPY --from=arm /etc/alpine-release /arm-release
COPY --from=1 /etc/os-release /base-release
