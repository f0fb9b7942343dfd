from config.celery import app

from .dispatch import webhooks_pass


@app.task(ignore_result=True)
def webhooks_send() -> int:
    return webhooks_pass(budget=20.0)
