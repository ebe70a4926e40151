FROM php:8.3-apache
ENV APACHE_DOCUMENT_ROOT /var/www/project/public
RUN sed -ri -e 's!/var/www/html!${APACHE_DOCUMENT_ROOT}!g' /etc/apache2/sites-available/*.conf \
 && sed -ri -e 's!/var/www/!${APACHE_DOCUMENT_ROOT}!g' /etc/apache2/apache2.conf /etc/apache2/conf-available/*.conf \
 && a2enmod rewrite headers
COPY --from=composer:2 /usr/bin/composer /usr/bin/composer
WORKDIR /var/www/project
COPY composer.* symfony.* ./
RUN composer install --prefer-dist --no-dev --no-autoloader --no-scripts --no-progress
COPY . .
RUN composer dump-autoload --classmap-authoritative --no-dev \
 && APP_ENV=prod composer run-script --no-dev post-install-cmd \
 && chown -R www-data:www-data var
