FROM clickhouse/clickhouse-server:24.8
COPY config.d/*.xml /etc/clickhouse-server/config.d/
COPY users.d/*.xml /etc/clickhouse-server/users.d/
ENV CLICKHOUSE_DB=metrics \
    CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT=1
EXPOSE 8123 9000 9009
LABEL com.example.component=olap \
      "com.example.description"="ClickHouse with company defaults"
