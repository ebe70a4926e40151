FROM alpine:3.20
WORKDIR /a
WORKDIR b
WORKDIR "/path with spaces"
ENV DIRPATH=/srv
WORKDIR $DIRPATH/$DIRNAME
USER root
USER 1000
USER app:staff
USER ${RUN_AS:-nobody}
RUN pwd
