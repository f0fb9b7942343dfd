"""gunicorn settings for Rassylka; every value can be overridden from the environment."""

import multiprocessing
import os

# Loopback by default: the TLS proxy in front is the only client, and X-Forwarded-For and
# X-Forwarded-Proto are trusted (BEHIND_TLS_PROXY) only because nobody else can connect.
# GUNICORN_BIND=0.0.0.0:8000 where the proxy is on another host (the Docker image does).
bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# Pages never wait on SMTP (sending happens in workers), so a slow request is a bug: cut it.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# A worker is replaced after this many requests, a guard against slow leaks (none is
# known: RSS stays flat under load). Each replacement stalls the requests it holds for
# up to a few hundred ms; at 2,000 that came every few seconds under load and was the
# load test's p99 (bare view 30–360 ms against 15 ms without it).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
preload_app = True

if os.environ.get("LOG_FORMAT") == "json":
    from config.log_formats import FORMATTERS

    # gunicorn's access and error logs as JSON lines too, like the application's.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": FORMATTERS["json"]},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "json",
            }
        },
        "loggers": {
            name: {"handlers": ["console"], "level": "INFO", "propagate": False}
            for name in ("gunicorn.error", "gunicorn.access")
        },
    }
