FROM redis:7.4-alpine
COPY redis.conf /usr/local/etc/redis/redis.conf
RUN mkdir -p /var/lib/redis && chown redis:redis /var/lib/redis
VOLUME ["/var/lib/redis"]
EXPOSE 6379/tcp
USER redis
CMD [ "redis-server", "/usr/local/etc/redis/redis.conf" ]
