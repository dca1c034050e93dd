# Image de production du Portail Clas (web, worker et beat partagent la même image).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_CONSTRAINT=/app/build-constraints.txt \
    PIP_BUILD_CONSTRAINT=/app/build-constraints.txt

RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /app clas

WORKDIR /app
COPY . .
RUN pip install --no-cache-dir . && mkdir -p /srv/clas/media /srv/clas/static \
    && chown -R clas /srv/clas

USER clas
EXPOSE 8000
CMD ["gunicorn", "clas_portal.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
