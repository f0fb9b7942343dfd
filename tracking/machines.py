"""Which hits were not a person: told apart when the pass folds them, not in the request.

* HEAD requests: a person's browser asks with GET; link checkers and scanners probe.
* Known crawlers, scanners and mail proxies by user agent, from crawlerdetect (the
  maintained list of JayBizzle/Crawler-Detect): Barracuda, Proofpoint, Google's and
  Yahoo's image proxies, scripts (curl, python-requests)...
* Apple Mail Privacy Protection fetches every image of every message on arrival with
  the bare agent "Mozilla/5.0"; no browser sends that alone, nor nothing at all.
* Anything within TRACKING_MACHINE_SECONDS of the delivery: security gateways open and
  follow everything as the message arrives, with whatever agent they like.
"""

from datetime import datetime, timedelta
from functools import lru_cache

from crawlerdetect import CrawlerDetect
from django.conf import settings

PREFETCH_AGENTS = {"", "Mozilla/5.0"}


@lru_cache(maxsize=4096)
def agent_is_machine(agent: str) -> bool:
    if agent.strip() in PREFETCH_AGENTS:
        return True
    return CrawlerDetect(user_agent=agent).isCrawler()


def hit_is_machine(*, head: bool, agent: str, at: datetime, sent_at: datetime | None) -> bool:
    """`sent_at`: when the message was handed over (None: not recorded yet, which means
    the hit came while the run was still writing its outcomes, seconds after sending)."""
    if head or agent_is_machine(agent):
        return True
    if sent_at is None:
        return True
    return at - sent_at < timedelta(seconds=settings.TRACKING_MACHINE_SECONDS)
