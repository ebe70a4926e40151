FROM busybox:1.36
RUN ["mkdir", "-p", "/srv/data"]
RUN [ "sh", "-c", "echo exec form with spaces > /srv/data/readme" ]
RUN ["/bin/echo", "quote \"inside\" and back\\slash"]
RUN --network=none ["touch", "/srv/data/.keep"]
CMD ["sh"]
