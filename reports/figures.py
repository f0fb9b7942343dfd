"""The reports page's figures: filtering, totals and the per-day charts of one queryset."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import gettext_lazy as _

from sending.models import Attempt, FeedbackFigures

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
        messages_unknown=Coalesce(Sum("unknown_count"), 0),
        hard_bounces=Coalesce(Sum("hard_bounce_count"), 0),
        soft_bounces=Coalesce(Sum("soft_bounce_count"), 0),
        complaints=Coalesce(Sum("complaint_count"), 0),
    )


def totals_feedback(totals: dict[str, int]) -> FeedbackFigures:
    """The bounces and complaints of `attempt_totals`, with their rates."""
    return FeedbackFigures(
        handed_over=sum(totals[f"messages_{status}"] for status in ("sent", "failed", "unknown")),
        hard_bounces=totals["hard_bounces"],
        soft_bounces=totals["soft_bounces"],
        complaints=totals["complaints"],
    )


@dataclass(frozen=True)
class Series:
    """One kind of figure of the chart: stacked in this order, coloured by its name."""

    name: str
    label: str
    column: str


MESSAGES = (
    Series("sent", _("sent"), "sent_count"),
    Series("failed", _("failed"), "failed_count"),
)
FEEDBACK = (
    Series("hard", _("hard bounces"), "hard_bounce_count"),
    Series("soft", _("soft bounces"), "soft_bounce_count"),
    Series("complaints", _("complaints"), "complaint_count"),
)


@dataclass
class Segment:
    series: Series
    value: int
    y: float = 0
    height: float = 0


@dataclass
class Bar:
    day: dt.date
    segments: list[Segment]
    x: float = 0
    width: float = 0
    label: bool = False

    @property
    def total(self) -> int:
        return sum(segment.value for segment in self.segments)


@dataclass
class Chart:
    series: tuple[Series, ...]
    bars: list[Bar]
    peak: int
    truncated: bool
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    left: int = CHART_LEFT
    baseline: int = CHART_HEIGHT - CHART_BOTTOM
    top: int = CHART_TOP


@dataclass
class Charts:
    messages: Chart | None
    # Only when the selection has any bounce or complaint: a flat chart says nothing.
    feedback: Chart | None


def daily_charts(
    attempts: QuerySet[Attempt],
    *,
    zone: dt.tzinfo,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> Charts:
    """Per local day, messages sent and failed, and bounces and complaints, each laid out
    as stacked bars for inline SVG; one query for both."""
    columns = [series.column for series in (*MESSAGES, *FEEDBACK)]
    rows = (
        attempts.order_by()
        .annotate(day=TruncDate("started_at", tzinfo=zone))
        .values("day")
        .annotate(**{column: Coalesce(Sum(column), 0) for column in columns})
        .order_by("day")
    )
    per_day = {row["day"]: row for row in rows}
    if not per_day:
        return Charts(messages=None, feedback=None)
    first, last = date_from or min(per_day), date_to or max(per_day)
    truncated = (last - first).days + 1 > CHART_MAX_DAYS
    if truncated:
        first = last - dt.timedelta(days=CHART_MAX_DAYS - 1)
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    feedback = _chart(FEEDBACK, days, per_day, truncated)
    return Charts(
        messages=_chart(MESSAGES, days, per_day, truncated),
        feedback=feedback if any(bar.total for bar in feedback.bars) else None,
    )


def _chart(
    series: tuple[Series, ...], days: list[dt.date], per_day: dict, truncated: bool
) -> Chart:
    empty: dict = {}
    bars = [
        Bar(day, [Segment(one, per_day.get(day, empty).get(one.column, 0)) for one in series])
        for day in days
    ]
    peak = max(bar.total for bar in bars) or 1
    plot_width = CHART_WIDTH - CHART_LEFT - 4
    plot_height = CHART_HEIGHT - CHART_BOTTOM - CHART_TOP
    baseline = CHART_HEIGHT - CHART_BOTTOM
    step = plot_width / len(bars)
    label_every = max(1, round(len(bars) / 8))
    for index, bar in enumerate(bars):
        bar.x = round(CHART_LEFT + index * step + step * 0.1, 2)
        bar.width = round(max(step * 0.8, 1), 2)
        bar.label = index % label_every == 0
        top = baseline
        for segment in bar.segments:
            segment.height = round(plot_height * segment.value / peak, 2)
            segment.y = top = round(top - segment.height, 2)
    return Chart(series=series, bars=bars, peak=peak, truncated=truncated)
