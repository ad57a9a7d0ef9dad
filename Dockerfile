# One image for every process of PeerProof: web (gunicorn), worker and beat (Celery),
# and the one-shot `migrate` service of docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. Every pin in
# requirements.txt ships a manylinux wheel: no compiler is needed.
COPY requirements.txt ./
RUN pip install -r requirements.txt

RUN groupadd --system --gid 10001 peerproof \
    && useradd --system --uid 10001 --gid peerproof --home-dir /app \
       --shell /usr/sbin/nologin peerproof

# The code stays owned by root (read-only for the app user); see .dockerignore for
# what is left out (virtualenv, embedded database, test artifacts).
COPY . .

# Collect static files into the image. The key exists only for this build step
# (settings refuse to load without one); the real key comes from .env at run time.
RUN DJANGO_SECRET_KEY=build-time-collectstatic-only-not-a-secret \
    python manage.py collectstatic --no-input -v 0

USER peerproof
EXPOSE 8000

# gunicorn reads WEB_CONCURRENCY (number of workers) from the environment.
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", \
     "--access-logfile", "-", "--timeout", "60"]
