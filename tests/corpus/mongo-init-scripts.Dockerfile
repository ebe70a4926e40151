FROM mongo:7.0
ENV MONGO_INITDB_DATABASE telemetry
COPY mongo-init.js /docker-entrypoint-initdb.d/
COPY --chmod=600 keyfile /etc/mongo/keyfile
RUN chown 999:999 /etc/mongo/keyfile
CMD ["mongod", "--replSet", "rs0", "--keyFile", "/etc/mongo/keyfile", "--bind_ip_all"]
