"""The reports page's figures: filtering, totals and the per-day chart of one queryset."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate

from sending.models import Attempt

CHART_MAX_DAYS = 92
CHART_WIDTH, CHART_HEIGHT = 720, 200
CHART_LEFT, CHART_BOTTOM, CHART_TOP = 44, 24, 8


def attempts_filtered(
    attempts: QuerySet[Attempt],
    *,
    zone: dt.tzinfo,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    mailing=None,
    status: str = "",
) -> QuerySet[Attempt]:
    """Dates are the user's calendar days: a day runs from local midnight to midnight."""
    if date_from:
        attempts = attempts.filter(started_at__gte=dt.datetime.combine(date_from, dt.time(), zone))
    if date_to:
        end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), zone)
        attempts = attempts.filter(started_at__lt=end)
    if mailing is not None:
        attempts = attempts.filter(mailing=mailing)
    if status:
        attempts = attempts.filter(status=status)
    return attempts


def attempt_totals(attempts: QuerySet[Attempt]) -> dict[str, int]:
    """One aggregate over exactly the rows the table lists."""
    return attempts.aggregate(
        runs=Count("pk"),
        successful=Count("pk", filter=Q(status=Attempt.Status.SUCCESS)),
        failed=Count("pk", filter=Q(status=Attempt.Status.FAILURE)),
        messages_sent=Coalesce(Sum("sent_count"), 0),
        messages_failed=Coalesce(Sum("failed_count"), 0),
    )


@dataclass
class Bar:
    day: dt.date
    sent: int
    failed: int
    x: float = 0
    width: float = 0
    sent_y: float = 0
    sent_height: float = 0
    failed_y: float = 0
    failed_height: float = 0
    label: bool = False


@dataclass
class Chart:
    bars: list[Bar]
    peak: int
    truncated: bool
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    left: int = CHART_LEFT
    baseline: int = CHART_HEIGHT - CHART_BOTTOM
    top: int = CHART_TOP


def daily_chart(
    attempts: QuerySet[Attempt],
    *,
    zone: dt.tzinfo,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> Chart | None:
    """Messages sent and failed per local day, laid out as stacked bars for inline SVG."""
    rows = (
        attempts.order_by()
        .annotate(day=TruncDate("started_at", tzinfo=zone))
        .values("day")
        .annotate(sent=Coalesce(Sum("sent_count"), 0), failed=Coalesce(Sum("failed_count"), 0))
        .order_by("day")
    )
    per_day = {row["day"]: (row["sent"], row["failed"]) for row in rows}
    if not per_day:
        return None
    first, last = date_from or min(per_day), date_to or max(per_day)
    truncated = (last - first).days + 1 > CHART_MAX_DAYS
    if truncated:
        first = last - dt.timedelta(days=CHART_MAX_DAYS - 1)
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    bars = [Bar(day, *per_day.get(day, (0, 0))) for day in days]

    peak = max(bar.sent + bar.failed for bar in bars) or 1
    plot_width = CHART_WIDTH - CHART_LEFT - 4
    plot_height = CHART_HEIGHT - CHART_BOTTOM - CHART_TOP
    baseline = CHART_HEIGHT - CHART_BOTTOM
    step = plot_width / len(bars)
    label_every = max(1, round(len(bars) / 8))
    for index, bar in enumerate(bars):
        bar.x = round(CHART_LEFT + index * step + step * 0.1, 2)
        bar.width = round(max(step * 0.8, 1), 2)
        bar.sent_height = round(plot_height * bar.sent / peak, 2)
        bar.sent_y = round(baseline - bar.sent_height, 2)
        bar.failed_height = round(plot_height * bar.failed / peak, 2)
        bar.failed_y = round(bar.sent_y - bar.failed_height, 2)
        bar.label = index % label_every == 0
    return Chart(bars=bars, peak=peak, truncated=truncated)
