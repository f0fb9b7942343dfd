"""Settings, URLs, the WSGI/ASGI entry points and the Celery app (config.celery, which
`celery -A config` finds by itself; tasks modules import it, so a process that never
queues a task never loads Celery)."""
