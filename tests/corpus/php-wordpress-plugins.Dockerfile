FROM wordpress:6.6-php8.2-apache
ARG WP_PLUGINS="wordfence redis-cache wp-mail-smtp"
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends unzip; \
    for p in $WP_PLUGINS; do \
      curl -fsSL -o /tmp/$p.zip "https://downloads.wordpress.org/plugin/$p.latest-stable.zip"; \
      unzip -q /tmp/$p.zip -d /usr/src/wordpress/wp-content/plugins/; \
      rm /tmp/$p.zip; \
    done; \
    rm -rf /var/lib/apt/lists/*
COPY uploads.ini /usr/local/etc/php/conf.d/uploads.ini
LABEL version="1.4" description="WordPress with the agency plugin set"
