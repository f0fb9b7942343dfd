"""Without EMAIL_URL every email is a file: a full disk is this machine's trouble, not a
mail server's (issue #12). Tested on a real full file system: a tmpfs of a few pages,
filled up."""

import datetime as dt
import os
import subprocess
import time

import pytest
from django.utils import timezone

from conftest import service_unavailable
from mailings.tests.factories import mailing_to
from sending.holds import hold_current
from sending.models import Delivery, TransportHold
from sending.passes import run_pass

pytestmark = pytest.mark.django_db

ONE_MESSAGE = 16 * 1024  # room for one email and a little more, in whole pages


@pytest.fixture
def full_disk(tmp_path, settings):
    """The outbox on a file system with no space left; returns the file filling it."""
    mount = tmp_path / "disk"
    mount.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode:
        service_unavailable(f"A small tmpfs to fill up cannot be mounted: {mounted.stderr}")
    try:
        settings.EMAIL_OUTBOX_DIR = mount / "outbox"
        settings.EMAIL_OUTBOX_DIR.mkdir()
        filler = mount / "filler"
        descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(descriptor, b"x" * 4096):
                pass
        except OSError:
            pass  # ENOSPC: full
        finally:
            os.close(descriptor)
        yield filler
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def outbox_files(settings) -> list[str]:
    return sorted(path.name for path in settings.EMAIL_OUTBOX_DIR.iterdir())


def wait_out(hold: TransportHold) -> None:
    time.sleep(max(0.0, (hold.retry_at - timezone.now()).total_seconds()) + 0.05)


@pytest.mark.slow
def test_a_full_disk_pauses_with_its_own_reason_loses_nothing_and_leaves_no_temp_file(
    full_disk, settings, client
):
    settings.SEND_BREAKER_COOLDOWN = 1.0
    mailing_to(3)
    run_pass()
    hold = hold_current()
    assert hold.reason == TransportHold.Reason.LOCAL
    assert "No space left on device" in hold.server_response
    assert "outbox" in hold.server_response
    assert outbox_files(settings) == []  # no .eml.tmp left behind
    # Not tried, not failed: every recipient waits, with no try spent.
    assert set(Delivery.objects.values_list("status", "tries")) == {("pending", 0)}
    # The owners hear why in the banner.
    client.force_login(Delivery.objects.first().attempt.mailing.owner)
    page = client.get("/").content.decode()
    assert 'id="sending-paused"' in page
    assert "место на диске" in page  # the site speaks Russian by default

    # Still full: the next look comes after the same short wait, not a doubled one.
    wait_out(hold)
    before = timezone.now()
    run_pass()
    again = hold_current()
    assert again.openings == 2
    assert again.retry_at - before < dt.timedelta(seconds=1.5)  # doubled: 2 s

    # Space freed: everything goes out, the pause lifts.
    full_disk.unlink()
    wait_out(again)
    run_pass()
    assert hold_current() is None
    assert len([name for name in outbox_files(settings) if name.endswith(".eml")]) == 3
    assert not [name for name in outbox_files(settings) if name.endswith(".tmp")]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.slow
def test_a_success_between_two_failures_starts_the_pause_from_the_shortest_wait(
    full_disk, settings
):
    mailing_to(5)
    run_pass()
    assert hold_current().openings == 1
    hold = hold_current()
    wait_out(hold)
    run_pass()
    assert hold_current().openings == 2
    # Room for about one message: it goes out, then the disk is full again.
    os.truncate(full_disk, os.path.getsize(full_disk) - ONE_MESSAGE)
    wait_out(hold_current())
    run_pass()
    sent = Delivery.objects.filter(status="sent").count()
    assert 1 <= sent < 5
    assert hold_current().reason == TransportHold.Reason.LOCAL
    assert hold_current().openings == 1
