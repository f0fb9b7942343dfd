"""CSV out: a report's runs and one run's recipients, streamed as the rows are read."""

from collections.abc import Iterator
from datetime import tzinfo

from django.db.models import QuerySet
from django.utils import timezone

from config.csv_export import csv_lines
from sending.models import Attempt, Delivery


def attempts_csv_lines(attempts: QuerySet[Attempt], *, zone: tzinfo) -> Iterator[str]:
    """The report's rows; `attempts` should have mailing, message and owner joined in."""
    header = [
        "started_at",
        "finished_at",
        "mailing_id",
        "mailing",
        "subject",
        "owner",
        "trigger",
        "status",
        "recipients",
        "sent",
        "failed",
        "unknown",
        "hard_bounces",
        "soft_bounces",
        "complaints",
        # Of the messages handed over (sent, failed, unknown); empty when there were none.
        "hard_bounce_percent",
        "soft_bounce_percent",
        "complaint_percent",
        "opened",
        "clicked",
        "machine_opens",
        "machine_clicks",
        "server_response",
    ]

    def local(value) -> str:
        return timezone.localtime(value, zone).strftime("%Y-%m-%d %H:%M:%S") if value else ""

    def percent(value: float | None) -> str:
        return "" if value is None else f"{value:.2f}"

    def row(attempt: Attempt) -> list:
        figures = attempt.feedback_figures()
        return [
            local(attempt.started_at),
            local(attempt.finished_at),
            attempt.mailing_id,
            attempt.mailing.title,
            attempt.mailing.message.subject,
            attempt.mailing.owner.email,
            attempt.trigger,
            attempt.status,
            attempt.total_count,
            attempt.sent_count,
            attempt.failed_count,
            attempt.unknown_count,
            attempt.hard_bounce_count,
            attempt.soft_bounce_count,
            attempt.complaint_count,
            percent(figures.hard_bounce_percent),
            percent(figures.soft_bounce_percent),
            percent(figures.complaint_percent),
            attempt.open_count,
            attempt.click_count,
            attempt.machine_open_count,
            attempt.machine_click_count,
            attempt.server_response,
        ]

    rows = (row(attempt) for attempt in attempts.iterator(chunk_size=2000))
    return csv_lines(header, rows)


def deliveries_csv_lines(deliveries: QuerySet[Delivery], *, zone: tzinfo) -> Iterator[str]:
    """One run's recipients: what each got and what the server said."""
    header = ["email", "full_name", "status", "tries", "sent_at", "last_try_at", "server_response"]

    def local(value) -> str:
        return timezone.localtime(value, zone).strftime("%Y-%m-%d %H:%M:%S") if value else ""

    values = deliveries.values_list(
        "email", "full_name", "status", "tries", "sent_at", "claimed_at", "server_response"
    )
    rows = (
        [email, full_name, status, tries, local(sent_at), local(claimed_at), reply]
        for email, full_name, status, tries, sent_at, claimed_at, reply in values.iterator(
            chunk_size=2000
        )
    )
    return csv_lines(header, rows)
