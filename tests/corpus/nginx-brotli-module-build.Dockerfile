ARG NGINX_VERSION=1.27.1
FROM nginx:${NGINX_VERSION} AS builder
ARG NGINX_VERSION
RUN apt-get update && apt-get install -y --no-install-recommends \
        build-essential git libpcre3-dev zlib1g-dev libssl-dev wget
ADD --keep-git-dir=true https://github.com/google/ngx_brotli.git#v1.0.0rc /usr/src/ngx_brotli
RUN cd /usr/src/ngx_brotli && git submodule update --init --depth 1
RUN wget -qO- "https://nginx.org/download/nginx-${NGINX_VERSION}.tar.gz" | tar -xz -C /usr/src \
 && cd /usr/src/nginx-${NGINX_VERSION} \
 && ./configure --with-compat --add-dynamic-module=/usr/src/ngx_brotli \
 && make modules

FROM nginx:${NGINX_VERSION}
ARG NGINX_VERSION
COPY --from=builder /usr/src/nginx-${NGINX_VERSION}/objs/ngx_http_brotli_*.so /etc/nginx/modules/
RUN sed -i '1iload_module modules/ngx_http_brotli_filter_module.so;\nload_module modules/ngx_http_brotli_static_module.so;' /etc/nginx/nginx.conf
