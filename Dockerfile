FROM python:3.13-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings
# WeasyPrint's native libraries (Pango) and gettext for message catalogues.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    libharfbuzz0b fonts-dejavu-core && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
# The storage the running app (DEBUG off) serves with: hashed names, compressed copies and the manifest that
# {% static %} looks names up in (DEBUG=true alone would pick the plain storage: no manifest, every page a 500).
RUN DJANGO_DEBUG=true STATICFILES_STORAGE=whitenoise.storage.CompressedManifestStaticFilesStorage \
    python manage.py collectstatic --no-input -v 0
RUN useradd --system --uid 1000 recert && mkdir -p /app/var/media && chown -R recert /app/var
USER recert
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
