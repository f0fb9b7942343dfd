"""Outgoing webhooks: endpoints, the events they listen to, and Standard Webhooks-signed
messages sent on the scheduler's beat with retries."""
