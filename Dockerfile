# KAM web / worker / beat image. Used by docker-compose.yml; the command is chosen per service.
FROM python:3.11-slim

# PYTHONPATH: run the code from /app, not from the copy `pip install .` puts in site-packages,
# because settings find templates/, static/ and locale/ next to the kam package (BASE_DIR).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

WORKDIR /app
COPY . /app
RUN pip install .

# Static files are collected into the image (the translation catalogs are committed compiled).
# Production settings refuse to load without these variables, so throwaway values are given here;
# the real ones come at run time from docker-compose.yml (nothing here connects to anything).
RUN KAM_ENV=production \
    DJANGO_SECRET_KEY=build-only-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz \
    DJANGO_ALLOWED_HOSTS=build.invalid \
    DATABASE_URL=postgres://build:build@build.invalid:5432/build \
    REDIS_URL=redis://build.invalid:6379/0 \
    EMAIL_URL=smtp://build.invalid:25 \
    python manage.py collectstatic --noinput

RUN useradd --system --no-create-home --home-dir /app kam
USER kam

EXPOSE 8000
# Access log: method, path without the query string (%(U)s, not %(r)s: searches carry people's
# names), status, bytes, duration; no referer, user agent or client address.
CMD ["gunicorn", "kam.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--access-logfile", "-", "--access-logformat", "%(t)s %(m)s %(U)s %(s)s %(B)s %(M)sms"]
