"""Bounces and complaints in the reports (#15 item 5): per run and per mailing, with
their rates among the messages handed over, on the run page, the mailing page, the
reports page (totals, table, chart) and its CSV, counted once per recipient."""

import csv
import io
import re

import pytest

from feedback.intake import report_process
from mailings.tests.factories import mailing_to
from sending.models import Attempt, Delivery
from sending.tests.test_smtp_faults import finish_run

from .reports import arf, dsn, verp

pytestmark = pytest.mark.django_db


@pytest.fixture
def bounced_run(smtp_server, settings):
    """A run of 8: one refused at RCPT TO (hard, at send time); afterwards a DSN makes a
    soft bounce of another and an ARF report a complaint of a third."""
    settings.BOUNCE_DOMAIN = "bounces.example.com"
    mailing = mailing_to(8)
    smtp_server.faults.rcpt_replies = {"reader0@example.org": "550 5.1.1 No such user"}
    # Passes until the run is over: on a busy machine a connection may time out and leave
    # rows for a later pass, and a run's figures are written when it ends.
    finish_run()
    soft = Delivery.objects.get(email="reader1@example.org")
    complaint = Delivery.objects.get(email="reader2@example.org")
    report_process(dsn(to=verp(soft), recipient=soft.email, status="4.2.2"))
    report_process(arf(return_path=verp(complaint), recipient=complaint.email))
    return mailing, Attempt.objects.get()


def test_the_run_counts_each_kind_once_per_recipient(bounced_run):
    _mailing, attempt = bounced_run
    counts = (attempt.hard_bounce_count, attempt.soft_bounce_count, attempt.complaint_count)
    assert counts == (1, 1, 1)
    # The same reports read again (a mailbox not emptied, an MTA sending twice).
    soft = Delivery.objects.get(email="reader1@example.org")
    complaint = Delivery.objects.get(email="reader2@example.org")
    report_process(dsn(to=verp(soft), recipient=soft.email, status="4.2.2"))
    report_process(arf(return_path=verp(complaint), recipient=complaint.email))
    attempt.refresh_from_db()
    counts = (attempt.hard_bounce_count, attempt.soft_bounce_count, attempt.complaint_count)
    assert counts == (1, 1, 1)
    # A hard bounce of the one that bounced softly is a new kind: it counts.
    report_process(dsn(to=verp(soft), recipient=soft.email, status="5.1.1"))
    attempt.refresh_from_db()
    assert (attempt.hard_bounce_count, attempt.soft_bounce_count) == (2, 1)


def test_the_figures_have_rates_of_the_messages_handed_over(bounced_run):
    _mailing, attempt = bounced_run
    figures = attempt.feedback_figures()
    assert figures.handed_over == 8  # 7 sent, 1 refused
    assert figures.hard_bounce_percent == figures.complaint_percent == 12.5
    assert Attempt(sent_count=0).feedback_figures().hard_bounce_percent is None


def test_the_run_page_shows_counts_and_rates(bounced_run, client):
    mailing, attempt = bounced_run
    client.force_login(mailing.owner)
    page = client.get(f"/mailings/{mailing.pk}/runs/{attempt.pk}/").content.decode()
    block = re.search(r'<p class="small" id="run-feedback".*?</p>', page, re.S).group(0)
    assert re.search(r'data-figure="hard_bounces">1<', block)
    assert re.search(r'data-rate="complaints">\(12[.,]50&nbsp;%\)', block)


def test_a_run_under_way_rates_against_its_live_counts(bounced_run, client):
    mailing, attempt = bounced_run
    # The counts are written when a run ends: under way they come from its rows.
    Attempt.objects.filter(pk=attempt.pk).update(
        status=Attempt.Status.IN_PROGRESS, sent_count=0, failed_count=0
    )
    client.force_login(mailing.owner)
    response = client.get(f"/mailings/{mailing.pk}/runs/{attempt.pk}/")
    assert response.context["feedback"].handed_over == 8
    assert response.context["feedback"].hard_bounce_percent == 12.5


def test_the_mailing_page_adds_up_its_runs(bounced_run, client, smtp_server):
    mailing, _attempt = bounced_run
    client.force_login(mailing.owner)
    response = client.get(f"/mailings/{mailing.pk}/")
    feedback = response.context["feedback"]
    assert (feedback.hard_bounces, feedback.soft_bounces, feedback.complaints) == (1, 1, 1)
    page = response.content.decode()
    assert 'id="mailing-feedback"' in page
    table = re.search(r'<table[^>]*id="attempt-table".*?</table>', page, re.S).group(0)
    assert '<td class="text-end d-none d-md-table-cell" data-figure="complaints">1</td>' in table


def test_the_reports_page_totals_table_and_chart(bounced_run, client):
    mailing, _attempt = bounced_run
    client.force_login(mailing.owner)
    response = client.get("/reports/")
    totals = response.context["totals"]
    assert (totals["hard_bounces"], totals["soft_bounces"], totals["complaints"]) == (1, 1, 1)
    assert response.context["feedback"].soft_bounce_percent == 12.5
    page = response.content.decode()
    cards = re.search(r'<div class="row g-3 mb-4" id="report-feedback".*?\n</div>', page, re.S)
    assert 'data-total="complaints">1<' in cards.group(0)
    assert re.search(r'data-rate="hard_bounces">12[.,]50&nbsp;%<', cards.group(0))
    table = re.search(r'<table[^>]*id="report-table".*?</table>', page, re.S).group(0)
    assert re.search(r'data-figure="soft_bounces">1 <span[^>]*>12[.,]50&nbsp;%', table)

    (bar,) = response.context["charts"].feedback.bars
    assert [(s.series.name, s.value) for s in bar.segments] == [
        ("hard", 1),
        ("soft", 1),
        ("complaints", 1),
    ]
    chart = re.search(r'<svg[^>]*id="report-feedback-chart".*?</svg>', page, re.S).group(0)
    assert 'data-hard="1" data-soft="1" data-complaints="1"' in chart
    assert chart.count('class="series-') == 3  # one rect per series of the day


def test_the_csv_export_has_the_rates(bounced_run, client):
    mailing, _attempt = bounced_run
    client.force_login(mailing.owner)
    export = client.get("/reports/export/")
    (row,) = csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig")))
    assert (row["hard_bounces"], row["soft_bounces"], row["complaints"]) == ("1", "1", "1")
    assert (row["hard_bounce_percent"], row["complaint_percent"]) == ("12.50", "12.50")
