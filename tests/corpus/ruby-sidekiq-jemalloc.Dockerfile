FROM ruby:3.3-bookworm
RUN apt-get update && apt-get install -y libjemalloc2 && rm -rf /var/lib/apt/lists/*
ENV LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 \
    MALLOC_CONF=dirty_decay_ms:1000,narenas:2,background_thread:true
WORKDIR /worker
COPY Gemfile* ./
RUN bundle install
COPY . ./
STOPSIGNAL SIGTSTP
CMD ["bundle", "exec", "sidekiq", "-C", "config/sidekiq.yml"]
