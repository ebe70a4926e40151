# syntax=docker/dockerfile:1.4
FROM nginx:1.27
RUN rm /etc/nginx/conf.d/default.conf
COPY <<EOF /etc/nginx/conf.d/proxy.conf
upstream app {
    server app:8000;
}
server {
    listen 80;
    server_name _;
    client_max_body_size 20m;
    location / {
        proxy_pass http://app;
        proxy_set_header Host \$host;
        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
}
EOF
COPY --chmod=0644 certs/ /etc/nginx/certs/
EXPOSE 80 443
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
