"""Every membership has its consent record, however it was made: an import's too."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audience.client_csv import clients_import
from audience.models import Client, ConsentRecord, Membership
from audience.tests.factories import MailingListFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def test_an_import_leaves_one_consent_per_new_membership(owner):
    news = MailingListFactory(owner=owner, name="Новости")
    sale = MailingListFactory(owner=owner, name="Sale")
    member = MembershipFactory(mailing_list=news, client__email="member@example.org")
    left = MembershipFactory(
        mailing_list=sale, client__email="left@example.org", status=Membership.Status.UNSUBSCRIBED
    )

    clients_import(
        owner=owner,
        data=csv(
            "email,lists",
            'new@example.org,"Новости, Sale"',
            "member@example.org,Новости",
            "left@example.org,Sale",
        ),
    )
    # Importing the same file again makes no membership, so no consent either.
    clients_import(owner=owner, data=csv("email,lists", 'new@example.org,"Новости, Sale"'))

    new = Client.objects.get(email="new@example.org")
    consents = ConsentRecord.objects.order_by("mailing_list__name")
    assert [(c.client_id, c.mailing_list_id, c.source) for c in consents] == [
        (new.pk, sale.pk, ConsentRecord.Source.IMPORT),
        (new.pk, news.pk, ConsentRecord.Source.IMPORT),
    ]
    assert not ConsentRecord.objects.filter(client__in=[member.client, left.client]).exists()


def _import_queries(owner, rows: int, start: int) -> int:
    lines = [f"c{start + n}@example.org,Новости" for n in range(rows)]
    with CaptureQueriesContext(connection) as queries:
        clients_import(owner=owner, data=csv("email,lists", *lines))
    return len(queries)


def test_an_imports_memberships_and_consents_take_as_many_queries_for_5_rows_as_for_60(owner):
    # 60 rows stay within one INSERT batch on SQLite (its limit on parameters splits
    # larger ones): a query per row would show here.
    MailingListFactory(owner=owner, name="Новости")

    few = _import_queries(owner, 5, start=0)
    many = _import_queries(owner, 60, start=1000)

    assert few == many
    assert ConsentRecord.objects.filter(source=ConsentRecord.Source.IMPORT).count() == 65


def test_the_client_page_and_the_export_show_an_imported_consent(signed_in, owner):
    MailingListFactory(owner=owner, name="Импортированный список")
    clients_import(owner=owner, data=csv("email,lists", "anna@example.org,Импортированный список"))
    client = Client.objects.get(email="anna@example.org")

    page = signed_in.get(f"/clients/{client.pk}/").content.decode()
    consents_table = page.split('id="client-consents"')[1].split("</table>")[0]
    assert "Импортированный список" in consents_table
    assert "Импорт CSV" in consents_table  # the source, in Russian

    export = json.loads(signed_in.get(f"/clients/{client.pk}/export/").content)
    assert [(c["list"], c["source"]) for c in export["consents"]] == [
        ("Импортированный список", "import")
    ]
