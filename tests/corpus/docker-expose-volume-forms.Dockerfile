FROM ubuntu:24.04
EXPOSE 80
EXPOSE 443/tcp 53/udp
EXPOSE 8000-8010
EXPOSE 9000-9005/udp 7946/tcp 7946/udp
ARG METRICS_PORT=9100
EXPOSE ${METRICS_PORT}
VOLUME /var/log
VOLUME /var/lib/app /var/cache/app
VOLUME ["/data"]
VOLUME [ "/etc/app", "/srv/uploads" ]
CMD ["sleep", "infinity"]
