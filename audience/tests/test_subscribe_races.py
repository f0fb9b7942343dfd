"""Sign-ups of one address at the same moment (a double click, a bot's burst): one
client, one membership, one email, on SQLite and on PostgreSQL alike."""

import threading

import pytest
from django.core import mail
from django.db import connection
from django.test import Client as HttpClient

from audience.models import Client, ConsentRecord, Membership

from .signup import list_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_parallel_sign_ups_of_one_address_make_one_client_and_send_one_email():
    mailing_list = list_of()
    start = threading.Barrier(4)
    statuses = []

    def sign_up(n: int) -> None:
        try:
            start.wait()
            response = HttpClient(REMOTE_ADDR=f"198.51.100.{n}").post(
                f"/subscribe/{mailing_list.token}/",
                {"email": "Anna@Example.org" if n % 2 else "anna@example.org"},
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert statuses == [200] * 4
    assert Client.objects.count() == 1
    assert Membership.objects.count() == 1
    assert ConsentRecord.objects.count() == 1
    assert len(mail.outbox) == 1
