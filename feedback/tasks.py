from config.celery import app

from .mailbox import mailbox_fetch


@app.task(ignore_result=True)
def bounces_fetch() -> int:
    """Beat's periodic read of BOUNCE_MAILBOX_URL (nothing to do when it is unset)."""
    return mailbox_fetch()
