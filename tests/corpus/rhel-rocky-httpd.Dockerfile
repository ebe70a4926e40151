FROM rockylinux/rockylinux:9-minimal
RUN microdnf -y install httpd mod_ssl && microdnf clean all
RUN sed -i 's/^Listen 80$/Listen 8080/' /etc/httpd/conf/httpd.conf
COPY public_html/ /var/www/html/
EXPOSE 8080
ENTRYPOINT ["/usr/sbin/httpd"]
CMD ["-D", "FOREGROUND"]
