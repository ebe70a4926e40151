FROM alpine:3.20
CMD ["echo" , "spaced commas"]
CMD [ "printf", "caf\u00e9 \t tab\n" ]
CMD ["echo", "trailing"] && echo shell
ENTRYPOINT ["/bin/sh", \
            "-c", \
            "exec \"$0\" \"$@\""]
SHELL ["/bin/ash", \
       "-eo", "pipefail", "-c"]
RUN [ ]
VOLUME ["/var/lib/one", "/var/lib/two"] 
COPY ["a.txt", "b.txt", "/dst/"]
