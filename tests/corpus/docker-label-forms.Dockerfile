FROM scratch
LABEL version 1.0.0
LABEL maintainer="Jane Doe <jane@example.com>"
LABEL "com.example.vendor"="ACME Incorporated" com.example.label-with-value="foo"
LABEL description="This text illustrates \
that label-values can span multiple lines."
LABEL org.opencontainers.image.licenses=Apache-2.0 \
      org.opencontainers.image.revision=${GIT_SHA} \
      'org.opencontainers.image.url'='https://example.com'
COPY hello /
CMD ["/hello"]
