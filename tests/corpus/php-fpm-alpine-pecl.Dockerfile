FROM php:8.2-fpm-alpine3.19
RUN apk add --no-cache --virtual .phpize-deps $PHPIZE_DEPS linux-headers \
 && pecl install redis-6.0.2 apcu-5.1.23 \
 && docker-php-ext-enable redis apcu \
 && apk del .phpize-deps
COPY --from=mlocati/php-extension-installer:2 /usr/bin/install-php-extensions /usr/local/bin/
RUN install-php-extensions intl bcmath
COPY docker/php.ini "$PHP_INI_DIR/conf.d/zz-app.ini"
COPY --chown=82:82 . /var/www/app
WORKDIR /var/www/app
