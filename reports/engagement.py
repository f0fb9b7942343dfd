"""A run's engagement figures: its opens and clicks, top links and timeline. Callers
have checked that the viewer may see the run; every figure counts recipients once,
machines apart."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.db.models.functions import Trunc

from sending.models import Attempt
from tracking.models import Click, Link, Open

TOP_LINKS = 10
HOURLY_SPAN = dt.timedelta(hours=48)
CHART_MAX_BUCKETS = 60
CHART_WIDTH, CHART_HEIGHT = 720, 180
CHART_LEFT, CHART_BOTTOM, CHART_TOP = 44, 24, 8
BAR_MAX_WIDTH = 16


@dataclass
class LinkFigures:
    url: str
    clicks: int
    machine_clicks: int


@dataclass
class Bucket:
    start: dt.datetime
    opens: int
    clicks: int
    x: float = 0
    width: float = 0
    open_y: float = 0
    open_height: float = 0
    click_x: float = 0
    click_y: float = 0
    click_height: float = 0
    label: bool = False


@dataclass
class Timeline:
    buckets: list[Bucket]
    hourly: bool
    peak: int
    truncated: bool
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    left: int = CHART_LEFT
    baseline: int = CHART_HEIGHT - CHART_BOTTOM
    top: int = CHART_TOP


@dataclass
class RunEngagement:
    attempt: Attempt
    links: list[LinkFigures] = field(default_factory=list)
    timeline: Timeline | None = None

    @property
    def tracked(self) -> bool:
        """Whether there is anything to show: links, or anybody (or anything) opened."""
        return bool(self.links or self.timeline or self.attempt.machine_open_count)


def run_links(attempt: Attempt, *, limit: int = TOP_LINKS) -> list[LinkFigures]:
    """The run's links, most clicked by people first."""
    links = (
        Link.objects.filter(attempt=attempt)
        .annotate(
            human=Count("clicks", filter=Q(clicks__machine=False)),
            machine=Count("clicks", filter=Q(clicks__machine=True)),
        )
        .order_by("-human", "-machine", "pk")[:limit]
    )
    return [LinkFigures(link.url, link.human, link.machine) for link in links]


def run_timeline(attempt: Attempt, *, zone: dt.tzinfo) -> Timeline | None:
    """People's first opens and clicks over time: per hour for the first two days after
    the run started, per local day when they go on longer."""
    opens = Open.objects.human().filter(attempt=attempt).order_by()
    clicks = Click.objects.human().filter(attempt=attempt).order_by()
    latest = [
        events.order_by("-at").values_list("at", flat=True).first() for events in (opens, clicks)
    ]
    last = max(filter(None, latest), default=None)
    if last is None:
        return None
    hourly = last - attempt.started_at <= HOURLY_SPAN
    unit = "hour" if hourly else "day"

    def per_bucket(events) -> dict[dt.datetime, int]:
        rows = (
            events.annotate(bucket=Trunc("at", unit, tzinfo=zone))
            .values("bucket")
            .annotate(count=Count("*"))
        )
        return {row["bucket"]: row["count"] for row in rows}

    open_counts, click_counts = per_bucket(opens), per_bucket(clicks)
    step = dt.timedelta(hours=1)
    start = attempt.started_at.astimezone(zone)
    start = start.replace(minute=0, second=0, microsecond=0)
    if not hourly:
        start = start.replace(hour=0)
    # Hourly, the whole first day: a run's life reads from left to right.
    end = max(last, start + dt.timedelta(hours=23)) if hourly else last
    starts = []
    moment = start
    while moment <= end and len(starts) <= CHART_MAX_BUCKETS:
        starts.append(moment)
        moment = (
            (moment.astimezone(dt.UTC) + step).astimezone(zone)
            if hourly
            else _next_day(moment, zone)
        )
    truncated = len(starts) > CHART_MAX_BUCKETS
    starts = starts[:CHART_MAX_BUCKETS]
    buckets = [Bucket(s, open_counts.get(s, 0), click_counts.get(s, 0)) for s in starts]
    return _laid_out(Timeline(buckets=buckets, hourly=hourly, peak=0, truncated=truncated))


def _next_day(moment: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    day = moment.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(), zone)


def _laid_out(chart: Timeline) -> Timeline:
    """Two bars per bucket (opens, clicks) for inline SVG."""
    buckets = chart.buckets
    chart.peak = max(max(b.opens, b.clicks) for b in buckets) or 1
    plot_width = CHART_WIDTH - CHART_LEFT - 4
    plot_height = CHART_HEIGHT - CHART_BOTTOM - CHART_TOP
    step = plot_width / len(buckets)
    label_every = max(1, round(len(buckets) / 8))
    for index, bucket in enumerate(buckets):
        bucket.width = round(min(max(step * 0.4, 1), BAR_MAX_WIDTH), 2)
        bucket.x = round(CHART_LEFT + index * step + step / 2 - bucket.width, 2)
        bucket.click_x = round(bucket.x + bucket.width, 2)
        bucket.open_height = round(plot_height * bucket.opens / chart.peak, 2)
        bucket.open_y = round(chart.baseline - bucket.open_height, 2)
        bucket.click_height = round(plot_height * bucket.clicks / chart.peak, 2)
        bucket.click_y = round(chart.baseline - bucket.click_height, 2)
        bucket.label = index % label_every == 0
    return chart


def run_engagement(attempt: Attempt, *, zone: dt.tzinfo) -> RunEngagement:
    return RunEngagement(
        attempt=attempt, links=run_links(attempt), timeline=run_timeline(attempt, zone=zone)
    )
