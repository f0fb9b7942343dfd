"""Transport: getting a rendered email to a mail server — the SMTP client and its
connections, reply classification, the breaker and the local outbox. No models, no
Django app of its own: senders and sending stand on it."""
