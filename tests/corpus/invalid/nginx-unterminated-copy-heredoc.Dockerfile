FROM nginx:1.27-alpine
COPY <<CONF /etc/nginx/conf.d/default.conf
server {
    listen 80;
}
conf
EXPOSE 80
