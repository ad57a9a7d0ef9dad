"""Settings of ``bench/api.py``'s gunicorn: production (DEBUG off, the cached
template loader, persistent database connections, no query log), served over plain
HTTP on 127.0.0.1, with ``bench.api_urls`` as the URLconf (the app's URLs plus the
two baseline views).

``bench/api.py`` sets the environment production needs: ``DJANGO_SECRET_KEY``,
``DJANGO_SECURE_SSL_REDIRECT=false`` (there is no TLS proxy in front of gunicorn
here) and ``API_THROTTLE_USER`` high enough that wrk is never throttled (the
throttle still runs on every API request, so its cost is measured)."""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.api_urls"
