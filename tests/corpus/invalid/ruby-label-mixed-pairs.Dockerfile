FROM ruby:3.3-slim
LABEL org.opencontainers.image.title=api team
CMD ["ruby", "app.rb"]
