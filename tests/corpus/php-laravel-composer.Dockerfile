FROM composer:2.7 AS vendor
WORKDIR /app
COPY composer.json composer.lock ./
RUN composer install --no-dev --no-scripts --no-autoloader --prefer-dist --ignore-platform-reqs
COPY . .
RUN composer dump-autoload --optimize --classmap-authoritative

FROM php:8.3-fpm-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends \
        libzip-dev libpng-dev libonig-dev \
    && docker-php-ext-install pdo_mysql mbstring zip gd opcache \
    && rm -rf /var/lib/apt/lists/*
COPY --from=vendor --chown=www-data:www-data /app /var/www/html
WORKDIR /var/www/html
RUN php artisan config:cache && php artisan route:cache
USER www-data
EXPOSE 9000
CMD ["php-fpm"]
