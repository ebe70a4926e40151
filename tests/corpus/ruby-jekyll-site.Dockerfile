FROM ruby:3.1 AS jekyll
ENV JEKYLL_ENV=production LANG=C.UTF-8
WORKDIR /site
COPY Gemfile Gemfile.lock ./
RUN gem install bundler:2.4.22 && bundle install
COPY . .
RUN bundle exec jekyll build --destination /site/_site

FROM nginx:stable-alpine
COPY --from=jekyll /site/_site/ /usr/share/nginx/html/
