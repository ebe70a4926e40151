FROM python:3.12-slim
RUN cat << 'EOF' > /etc/motd
welcome
EOF
