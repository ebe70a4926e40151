FROM python:3.10
MAINTAINER Platform Team <platform@example.com>
ENV APP_HOME /opt/worker
ENV CELERY_BROKER_URL redis://redis:6379/0
ENV C_FORCE_ROOT false
RUN mkdir -p $APP_HOME
WORKDIR $APP_HOME
ADD requirements.txt $APP_HOME/
RUN pip install -r requirements.txt
ADD . $APP_HOME
CMD celery -A tasks worker --loglevel=info --concurrency=4
