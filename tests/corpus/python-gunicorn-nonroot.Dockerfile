FROM python:3.12-slim-bookworm
ARG UID=10001
ARG GID=10001
RUN groupadd -g "${GID}" appuser \
 && useradd --create-home --no-log-init -u "${UID}" -g "${GID}" appuser
WORKDIR /home/appuser/app
COPY --chown=${UID}:${GID} --chmod=750 . .
RUN pip install --no-cache-dir --user -r requirements.txt
USER ${UID}:${GID}
ENV PATH=/home/appuser/.local/bin:$PATH
EXPOSE 8000/tcp
CMD gunicorn --bind 0.0.0.0:8000 --access-logfile - wsgi:app
