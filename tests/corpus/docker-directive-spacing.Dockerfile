#syntax = docker/dockerfile:1
#  check = skip=all
FROM alpine:3.20
# escape=`
RUN echo "the escape line above is an ordinary comment" \
    && echo joined
