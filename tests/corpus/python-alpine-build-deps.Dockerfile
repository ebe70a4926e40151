FROM python:3.12-alpine3.20
RUN apk add --no-cache libffi openssl \
 && apk add --no-cache --virtual .build-deps gcc musl-dev libffi-dev openssl-dev cargo \
 && pip install --no-cache-dir cryptography==43.0.1 bcrypt==4.2.0 \
 && apk del .build-deps
WORKDIR /app
COPY --chown=nobody:nobody app.py .
USER nobody
CMD ["python", "app.py"]
