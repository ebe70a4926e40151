# syntax=docker/dockerfile:1.10
# escape=\
# check=skip=JSONArgsRecommended,StageNameCasing;error=true

# this is a normal comment now
FROM alpine:3.20 AS Build
RUN echo "directives parsed"
CMD echo shell form on purpose
