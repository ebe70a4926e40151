FROM registry.access.redhat.com/ubi9/ubi:9.4
RUN dnf module enable -y nodejs:20 \
 && dnf install -y nodejs npm git \
 && dnf clean all \
 && rm -rf /var/cache/dnf
WORKDIR /opt/app-root/src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY . .
USER 1001
CMD ["npm", "start"]
