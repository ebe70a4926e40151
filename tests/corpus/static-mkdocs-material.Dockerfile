FROM squidfunk/mkdocs-material:9.5 AS docs
COPY docs /docs/docs
COPY mkdocs.yml /docs/mkdocs.yml
RUN mkdocs build --strict --site-dir /site

FROM busybox:1.36
RUN adduser -D static
USER static
WORKDIR /home/static
COPY --from=docs /site .
CMD ["busybox", "httpd", "-f", "-v", "-p", "3000"]
