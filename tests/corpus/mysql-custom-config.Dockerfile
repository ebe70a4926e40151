FROM mysql:8.4
COPY my.cnf /etc/mysql/conf.d/custom.cnf
COPY --chown=mysql:mysql sql/*.sql /docker-entrypoint-initdb.d/
ENV MYSQL_DATABASE=shop \
    MYSQL_CHARSET=utf8mb4
EXPOSE 3306 33060
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=5 \
  CMD ["mysqladmin", "ping", "-h", "localhost"]
