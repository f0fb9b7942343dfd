"""The entry points: send_mailings (cron), send_mailing <id>, run_scheduler (make run)."""

import datetime as dt
import signal
import zoneinfo
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.tests.factories import UserFactory
from mailings.models import Mailing
from mailings.tests.factories import ClientFactory, MessageFactory, mailing_to
from sending.claims import run_claim
from sending.heartbeat import last_beat
from sending.holds import hold_current, hold_record
from sending.management.commands.send_mailings import only_one_pass
from sending.models import Attempt

from .processes import manage, wait_for
from .smtpd import SmtpServer


def command(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


@pytest.mark.django_db
def test_send_mailings_does_one_pass_and_is_safe_to_repeat(smtp_server):
    mailing_to(4)
    assert "sent 4" in command("send_mailings")
    assert "Runs started: 0; sent 0" in command("send_mailings")
    assert Attempt.objects.count() == 1
    assert len(smtp_server.copies()) == 4


@pytest.mark.django_db
def test_send_mailings_reports_a_hold_and_resume_lifts_it(smtp_server):
    mailing_to(2)
    hold_record(reason="auth", server_response="535 5.7.8 Authentication credentials invalid")
    assert "535 5.7.8" in command("send_mailings")
    assert not smtp_server.copies()
    output = command("send_mailings", "--resume")
    assert "pause lifted" in output
    assert hold_current() is None
    assert len(smtp_server.copies()) == 2


@pytest.mark.django_db
def test_send_mailing_runs_one_mailing_now(smtp_server):
    later = mailing_to(3, start_at=timezone.now() + dt.timedelta(days=2))
    other = mailing_to(2, prefix="other", start_at=timezone.now() + dt.timedelta(days=2))
    assert f"Mailing {later.pk}: sent 3" in command("send_mailing", str(later.pk))
    assert len(smtp_server.copies()) == 3
    assert not other.attempts.exists()
    assert later.attempts.get().trigger == Attempt.Trigger.MANUAL


@pytest.mark.django_db
def test_send_mailing_resumes_a_run_under_way_instead_of_starting_another(smtp_server):
    mailing = mailing_to(3)
    run_claim(mailing=Mailing.objects.get(pk=mailing.pk), now=timezone.now())
    command("send_mailing", str(mailing.pk))
    command("send_mailings")
    assert Attempt.objects.count() == 1
    assert len(smtp_server.copies()) == 3


@pytest.mark.django_db
def test_send_mailing_refuses_what_it_cannot_send():
    with pytest.raises(CommandError, match="no mailing"):
        command("send_mailing", "999")
    mailing = mailing_to(1, status=Mailing.Status.DISABLED)
    with pytest.raises(CommandError, match="disabled"):
        command("send_mailing", str(mailing.pk))


@pytest.mark.django_db
def test_send_mailing_fails_loudly_while_sending_is_paused(smtp_server):
    mailing = mailing_to(1)
    hold_record(reason="auth", server_response="535 no")
    with pytest.raises(CommandError, match="535 no"):
        command("send_mailing", str(mailing.pk))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_scheduler_loop_sends_a_mailing_created_for_now_within_seconds(csrf_client, settings):
    server = SmtpServer().start()
    settings.EMAIL_URL = server.url
    # An hour between passes: an email sent at all is one the new mailing woke it up for.
    scheduler = manage("run_scheduler", "--interval", "3600")
    try:
        wait_for(lambda: last_beat(), timeout=20, what="the scheduler's heartbeat")
        owner = UserFactory(time_zone="Europe/Moscow")
        message = MessageFactory(owner=owner)
        client = ClientFactory(owner=owner)
        csrf_client.force_login(owner)
        now = timezone.now().astimezone(zoneinfo.ZoneInfo("Europe/Moscow"))
        response = csrf_client.submit(
            "/mailings/new/",
            {
                "message": message.pk,
                "clients": [client.pk],
                "periodicity": "once",
                "start_at": now.strftime("%Y-%m-%dT%H:%M"),
                "end_at": "",
            },
        )
        assert response.status_code == 302
        wait_for(lambda: server.copies(), timeout=60, what="the email in the sink")
        assert server.copies() == {client.email: 1}
        at, source = last_beat()
        assert source == "run_scheduler"
        assert (timezone.now() - at).total_seconds() < 30
    finally:
        scheduler.send_signal(signal.SIGTERM)
        out, err = scheduler.communicate(timeout=10)
        server.stop()
    assert scheduler.returncode == 0, err
    assert "Scheduler stopped." in out


@pytest.mark.django_db
def test_send_mailings_steps_aside_while_an_earlier_pass_still_runs(smtp_server, settings):
    mailing_to(2)
    with only_one_pass() as alone:
        assert alone
        assert "still running" in command("send_mailings")
        assert not smtp_server.copies()
    command("send_mailings")
    assert len(smtp_server.copies()) == 2


def test_the_scheduler_says_where_emails_go_without_a_password(settings):
    from sending.management.commands.run_scheduler import Command

    settings.EMAIL_URL = ""
    assert "as .eml files" in Command.mail_destination()
    settings.EMAIL_URL = "smtp+tls://me%40shop.ru:s3cret@smtp.example.com:2525"
    said = Command.mail_destination()
    assert "smtp.example.com:2525" in said
    assert "s3cret" not in said
