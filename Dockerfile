# One image for every process of the back office (web, events, workers, beat, migrate).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    LOCAL_DIR=/data/local MEDIA_ROOT=/data/media STATIC_ROOT=/app/staticfiles

RUN apt-get update \
    && apt-get install -y --no-install-recommends curl libglib2.0-0 \
       fonts-liberation fonts-dejavu-core fonts-dejavu-extra \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . .
RUN pip install -e .
# Settings need server addresses to load; collectstatic touches neither server.
RUN SECRET_KEY=build DATABASE_URL=postgres://build/build REDIS_URL=redis://build \
    python manage.py collectstatic --noinput

RUN useradd --system --home-dir /app anpr \
    && mkdir -p /data/local /data/media && chown -R anpr /data
USER anpr
EXPOSE 8000
CMD ["gunicorn", "anpr_site.wsgi", "--bind", "0.0.0.0:8000", "--workers", "4"]
