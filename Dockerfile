FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv PATH=/opt/venv/bin:$PATH \
    VAR_DIR=/data MEDIA_ROOT=/data/media \
    GUNICORN_BIND=0.0.0.0:8000
WORKDIR /app

RUN pip install --no-cache-dir uv
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project --compile-bytecode
COPY . .
# Translations and static files are built into the image. /data/media exists (owned by
# the app's user) so that the named volume mounted there starts with that owner.
RUN find . -name '*.po' -path '*/locale/*' -exec sh -c 'pybabel compile -i "$1" -o "${1%.po}.mo"' _ {} \; \
 && SECRET_KEY=build-only python manage.py collectstatic --noinput \
 && useradd --create-home rassylka && mkdir -p /data/media && chown -R rassylka /data
USER rassylka
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--config", "deploy/gunicorn.conf.py"]
