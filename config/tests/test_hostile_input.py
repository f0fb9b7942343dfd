"""Never a 5xx on bad input: every form and query parameter of every page, every role.

The table below is the whole inventory: one line per (url, method, fields, roles). A new
page is one more line. Hypothesis draws each field from its kind's strategy (see
hostile.py), starting from a valid submission and replacing any subset of it, so that
both the validators and the code behind a valid form get extreme values.

Every response must be below 500 (an exception escaping a view fails the example too).
A POST that is answered with its form again must say what is wrong, and a NUL byte in a
text field is always that field's error.

Profiles: `default` (make test, under a minute) and `ci` (HYPOTHESIS_PROFILE=ci, ten
times the examples), registered in the root conftest.py.
"""

from dataclasses import dataclass, field

import pytest
from django import forms
from django.db import transaction
from django.test import Client as Browser
from hypothesis import given
from hypothesis import strategies as st

from accounts.tests.factories import PASSWORD, UserFactory, content_manager, manager
from api.models import ApiToken
from audience.imports import client_import_create, client_imports_run
from audience.models import (
    ClientImport,
    ConsentRecord,
    MailingList,
    Membership,
    Segment,
    Suppression,
)
from audience.subscriptions import confirmation_token
from audience.suppressions import suppression_record
from audience.tests import importing
from audience.tests.factories import MembershipFactory, TagFactory
from blog.tests.factories import DraftFactory, PostFactory
from config.tests import hostile
from conftest import fresh
from content.links import Signer
from content.models import Link, MessageAttachment, MessageImage
from mailings.tests.factories import (
    ClientFactory,
    DeliveryFactory,
    MailingFactory,
    unsubscribe_token,
)
from senders.models import Relay
from senders.relays import relay_save
from senders.tests.factories import DomainFactory, SenderFactory
from sending.models import Delivery

ROLES = ("anonymous", "user", "other user", "manager", "content manager")
OMIT = object()

LIST_PARAMS = {"q": hostile.text, "sort": hostile.text, "page": hostile.integers}
REPORT_PARAMS = {
    "date_from": hostile.dates,
    "date_to": hostile.dates,
    "mailing": hostile.reference("{mailing}"),
    "status": hostile.choice("success", "failure"),
    "page": hostile.integers,
}
CLIENT = {
    "email": hostile.emails,
    "full_name": hostile.text,
    "comment": hostile.text,
    "attributes": hostile.text,
    "tags": hostile.text,
    "lists": hostile.references("{mailing_list}"),
}
CLIENT_LIST_PARAMS = {
    **LIST_PARAMS,
    "list": hostile.reference("{mailing_list}"),
    "tag": hostile.reference("{tag}"),
}
MAILING_LIST = {
    "name": hostile.text,
    "description": hostile.text,
    "double_opt_in": hostile.flags,
    "language": hostile.choice("ru", "en"),
}
BULK = {
    "q": hostile.text,
    "list": hostile.reference("{mailing_list}"),
    "tag": hostile.reference("{tag}"),
    "action": hostile.choice("add_to_list", "remove_from_list", "add_tag", "remove_tag"),
    "target_list": hostile.reference("{mailing_list}"),
    "tag_name": hostile.text,
}
MESSAGE = {
    "subject": hostile.text,
    "body": st.one_of(hostile.text, hostile.styled_html),
    "format": hostile.choice("plain", "markdown", "html"),
    "image": hostile.image_files,
    "attachments": st.one_of(hostile.image_files, hostile.csv_files),
}
MAILING = {
    "message": hostile.reference("{message}"),
    "start_at": hostile.datetimes,
    "end_at": hostile.datetimes,
    "periodicity": hostile.choice("once", "daily", "weekly", "monthly"),
    "clients": hostile.references("{client}"),
    "all_subscribed": hostile.flags,
    "lists": hostile.references("{list}"),
    "segment": hostile.reference("{segment}"),
    "name": hostile.text,
    "confirm_past_start": hostile.flags,
    "tracking": hostile.choice("", "off", "aggregate", "recipient"),
    "when": hostile.choice("now", "schedule", ""),
}
# Whom and as which of its mailings a message is previewed and tested ({mailing} sends
# {message}).
PREVIEW_PARAMS = {
    "client": hostile.reference("{client}"),
    "mailing": hostile.reference("{mailing}"),
}
TARGETS = {name: MAILING[name] for name in ("clients", "all_subscribed", "lists", "segment")}
RULE_FIELDS = ("email", "full_name", "attributes.city", "tag", "list", "status", "created_at")
RULE_OPS = ("equals", "contains", "is_set", "has", "member", "is", "before", "within_days")
SEGMENT = {
    "name": hostile.text,
    "match": hostile.choice("all", "any"),
    "rules-TOTAL_FORMS": hostile.integers,
    "rules-INITIAL_FORMS": hostile.integers,
    **{
        f"rules-{row}-{name}": strategy
        for row in (0, 1)
        for name, strategy in (
            ("field", hostile.choice(*RULE_FIELDS)),
            ("op", hostile.choice(*RULE_OPS)),
            ("value", hostile.text),
            ("DELETE", hostile.flags),
        )
    },
}
SEGMENT_VALID = {
    "name": "Казань",
    "match": "all",
    "rules-TOTAL_FORMS": "1",
    "rules-INITIAL_FORMS": "0",
    "rules-0-field": "attributes.city",
    "rules-0-op": "equals",
    "rules-0-value": "Казань",
}
MAILING_VALID = {
    "message": "{message}",
    "start_at": "2031-06-01T09:00",
    "end_at": "2031-07-01T09:00",
    "periodicity": "daily",
    "clients": ["{client}"],
}
POST = {
    "title": hostile.text,
    "body": hostile.text,
    "image": hostile.image_files,
    "is_published": hostile.flags,
}
SENDER = {
    "name": hostile.text,
    "email": hostile.emails,
    "reply_to": hostile.emails,
    "postal_address": hostile.text,
    "is_default": hostile.flags,
}
NEXT = {"next": hostile.text}
SIGN_UP = {
    "email": hostile.emails,
    "full_name": hostile.text,
    "website": hostile.text,
    "altcha": hostile.text,
}


@dataclass(frozen=True)
class Page:
    url: str
    method: str = "GET"
    fields: dict = field(default_factory=dict)
    roles: tuple[str, ...] = ROLES
    # A submission that passes, as the starting point Hypothesis varies.
    valid: dict = field(default_factory=dict)


PAGES = [
    Page("/"),
    Page("/healthz"),
    Page("/clients/", fields=CLIENT_LIST_PARAMS),
    Page("/clients/export/", fields=CLIENT_LIST_PARAMS),
    Page("/clients/fields/"),
    Page("/clients/fields/gorod/", "POST", {"label": hostile.text}, valid={"label": "Город"}),
    Page("/clients/fields/{hostile}/", "POST", {"label": hostile.text}),
    Page("/clients/bulk/", "POST", BULK, valid={"q": "a", "action": "add_tag", "tag_name": "x"}),
    Page("/lists/", fields=LIST_PARAMS),
    Page("/lists/{mailing_list}/", fields={"status": hostile.text, "page": hostile.integers}),
    Page("/lists/new/", fields={"name": hostile.text}),
    Page("/lists/new/", "POST", MAILING_LIST, valid={"name": "Новости", "language": "ru"}),
    Page(
        "/lists/{mailing_list}/edit/",
        "POST",
        MAILING_LIST,
        valid={"name": "Акции", "language": "en"},
    ),
    Page("/lists/{mailing_list}/delete/", "POST"),
    Page("/tags/", fields=LIST_PARAMS),
    Page("/tags/new/", "POST", {"name": hostile.text}, valid={"name": "Постоянные"}),
    Page("/tags/{tag}/edit/", "POST", {"name": hostile.text}, valid={"name": "Лояльные"}),
    Page("/tags/{tag}/delete/"),
    Page("/tags/{tag}/delete/", "POST"),
    Page("/clients/{client}/"),
    Page("/clients/new/", "POST", CLIENT, valid={"email": "new@example.org"}),
    Page("/clients/{client}/edit/", "POST", CLIENT, valid={"email": "edited@example.org"}),
    Page("/clients/{client}/delete/", "POST"),
    Page("/clients/import/", "POST", {"file": hostile.csv_files}),
    Page("/clients/import/{import}/"),
    Page("/clients/import/{import}/columns/"),
    Page(
        "/clients/import/{import}/columns/",
        "POST",
        {
            "column_0": hostile.text,
            "column_1": hostile.text,
            "create_lists": hostile.text,
            "shown": hostile.text,
        },
        valid={"column_0": "email", "column_1": "lists", "create_lists": "on", "shown": "lists1"},
    ),
    Page("/clients/import/{import}/progress/"),
    Page("/messages/", fields=LIST_PARAMS),
    Page("/messages/{message}/"),
    Page("/messages/new/", "POST", MESSAGE, valid={"subject": "Hi", "body": "Hello"}),
    Page("/messages/{message}/edit/", "POST", MESSAGE, valid={"subject": "Hi", "body": "Hi"}),
    Page("/messages/{message}/delete/", "POST"),
    Page("/messages/{message}/attachments/{attachment}/delete/", "POST"),
    Page("/messages/{message}/duplicate/", "POST"),
    Page("/messages/{message}/preview/", fields={**PREVIEW_PARAMS, "q": hostile.text}),
    Page("/messages/{message}/preview/email/", fields=PREVIEW_PARAMS),
    Page(
        "/messages/{message}/test/",
        "POST",
        {"to": hostile.emails, **PREVIEW_PARAMS},
        valid={"to": "{user_email}", "client": "{client}", "mailing": "{mailing}"},
    ),
    Page("/messages/images/", fields={"page": hostile.integers}),
    Page("/messages/images/new/", "POST", {"image": hostile.image_files}),
    Page("/messages/images/{message_image}/"),
    Page("/messages/images/{message_image}/delete/", "POST"),
    Page("/mailings/", fields={**LIST_PARAMS, "status": hostile.text, "owner": hostile.integers}),
    Page("/mailings/{mailing}/", fields={"page": hostile.integers}),
    Page("/mailings/recipients/", fields=TARGETS),
    Page("/clients/search/", fields={"q": hostile.text}),
    Page("/segments/", fields={"page": hostile.integers}),
    Page("/segments/{segment}/"),
    Page("/segments/{segment}/count/"),
    Page("/segments/new/", "POST", SEGMENT, valid=SEGMENT_VALID),
    Page("/segments/{segment}/edit/", "POST", SEGMENT, valid=SEGMENT_VALID),
    Page("/segments/{segment}/delete/", "POST"),
    Page("/segments/count/", fields=SEGMENT),
    Page("/mailings/new/", "POST", MAILING, valid=MAILING_VALID),
    Page("/mailings/new/", fields={"message": hostile.reference("{message}")}),
    Page("/mailings/{mailing}/edit/", "POST", MAILING, valid=MAILING_VALID),
    Page("/mailings/{mailing}/delete/", "POST"),
    Page("/mailings/{mailing}/duplicate/", "POST"),
    Page("/mailings/{mailing}/send/", "POST", {"confirm": hostile.text}),
    Page(
        "/mailings/{mailing}/runs/{attempt}/",
        fields={
            "status": hostile.text,
            "q": hostile.text,
            "sort": hostile.text,
            "page": hostile.integers,
        },
    ),
    Page(
        "/mailings/{mailing}/runs/{attempt}/export/",
        fields={"status": hostile.text, "q": hostile.text},
    ),
    Page("/mailings/{mailing}/disable/", "POST"),
    Page("/mailings/{mailing}/progress/"),
    Page("/attempts/{attempt}/resend/", "POST", {"include_unknown": hostile.flags}),
    Page("/attempts/{attempt}/resume/", "POST"),
    Page("/suppressions/", fields={"page": hostile.integers}),
    Page("/senders/"),
    Page("/senders/{sender}/"),
    Page("/senders/new/", "POST", SENDER, valid={"name": "Shop", "email": "news@shop.example"}),
    Page("/senders/{sender}/edit/", "POST", SENDER, valid={"name": "Shop", "email": "a@b.example"}),
    Page("/senders/{sender}/delete/", "POST"),
    Page("/senders/confirm/{hostile}/"),
    Page("/senders/confirm/{hostile}/", "POST"),
    Page("/domains/"),
    Page("/domains/{domain}/"),
    Page("/domains/new/", "POST", {"domain": hostile.text}, valid={"domain": "shop.example"}),
    Page("/domains/{domain}/delete/", "POST"),
    Page("/relay/"),
    Page(
        "/relay/",
        "POST",
        {
            "host": hostile.text,
            "port": hostile.integers,
            "security": hostile.choice("starttls", "ssl", "none"),
            "username": hostile.text,
            "password": hostile.text,
            "rate": hostile.text,
            "connections": hostile.integers,
            "check": hostile.flags,
            "save_anyway": hostile.flags,
        },
        valid={
            "host": "relay.example",
            "port": "587",
            "security": "starttls",
            "username": "shop",
            "password": "p@ss/w:rd%",
            "rate": "10",
            "connections": "2",
        },
    ),
    Page("/relay/test/", "POST"),
    Page("/relay/delete/", "POST"),
    Page("/accounts/api-tokens/"),
    Page(
        "/accounts/api-tokens/",
        "POST",
        {"name": hostile.text, "read_only": hostile.flags},
        valid={"name": "shop"},
    ),
    Page("/accounts/api-tokens/{api_token}/revoke/", "POST"),
    Page("/suppressions/{suppression}/reactivate/", "POST", {"reason": hostile.text}),
    Page(
        "/brand/",
        "POST",
        {"logo_url": hostile.text, "accent_color": hostile.text, "footer_text": hostile.text},
        valid={"accent_color": "#aa3300"},
    ),
    Page("/reports/", fields=REPORT_PARAMS),
    Page("/reports/export/", fields=REPORT_PARAMS),
    Page("/manager/users/", fields={**LIST_PARAMS, "state": hostile.text}),
    Page("/manager/users/{user}/block/", "POST", {**NEXT, "reason": hostile.text}),
    Page("/manager/users/{user}/unblock/", "POST", NEXT),
    Page("/blog/", fields={"page": hostile.integers}),
    Page("/blog/{post}/"),
    Page("/blog/{draft}/"),
    Page("/blog/new/", "POST", POST, valid={"title": "T", "body": "B", "is_published": "on"}),
    Page("/blog/{post}/edit/", "POST", POST, valid={"title": "T", "body": "B"}),
    Page("/blog/{post}/delete/", "POST"),
    Page(
        "/accounts/profile/",
        "POST",
        {
            "first_name": hostile.text,
            "last_name": hostile.text,
            "time_zone": hostile.text,
            "tracking": hostile.choice("off", "aggregate", "recipient"),
        },
        valid={"time_zone": "Asia/Yekaterinburg", "tracking": "aggregate"},
    ),
    Page("/accounts/delete/", "POST", {"password": hostile.text}, valid={"password": PASSWORD}),
    Page(
        "/accounts/signup/",
        "POST",
        {"email": hostile.emails, "password1": hostile.text, "password2": hostile.text},
        valid={"email": "fresh@example.com", "password1": PASSWORD, "password2": PASSWORD},
    ),
    Page(
        "/accounts/login/",
        "POST",
        {"login": hostile.emails, "password": hostile.text, "remember": hostile.flags},
        valid={"login": "{user_email}", "password": PASSWORD},
    ),
    Page("/accounts/login/", fields={"next": hostile.text}),
    Page("/accounts/password/reset/", "POST", {"email": hostile.emails}),
    Page("/unsubscribe/{token}/", fields={"language": hostile.text}),
    Page("/unsubscribe/{token}/", "POST", {"List-Unsubscribe": hostile.text}),
    Page("/unsubscribe/{hostile}/"),
    Page(
        "/unsubscribe/{token}/",
        "POST",
        {"action": hostile.choice("leave", "rejoin", "resubscribe"), "list": hostile.text},
        valid={"action": "leave", "list": "{list}"},
    ),
    Page("/subscribe/{list_token}/", fields={"language": hostile.text}),
    Page("/subscribe/{list_token}/", "POST", SIGN_UP, valid={"email": "new@example.org"}),
    Page("/subscribe/{captcha_list_token}/", "POST", SIGN_UP, valid={"email": "new@example.org"}),
    Page("/subscribe/{hostile}/", "POST", SIGN_UP),
    Page("/subscribe/{captcha_list_token}/challenge/"),
    Page("/subscribe/{list_token}/confirm/{hostile}/"),
    Page("/subscribe/{list_token}/confirm/{hostile}/", "POST"),
    Page("/subscribe/{list_token}/confirm/{confirm_link}/", "POST"),
    Page("/subscribe/{stranger_list_token}/confirm/{confirm_link}/"),
    Page("/clients/{client}/export/"),
    Page("/clients/{client}/erase/", "POST"),
    Page("/l/{click_token}/", fields={"next": hostile.text, "url": hostile.text}),
    Page("/l/{hostile}/"),
    Page("/o/{open_token}/"),
    Page("/o/{hostile}/"),
    Page("/i18n/setlang/", "POST", {"language": hostile.choice("ru", "en"), **NEXT}),
]


def page_id(page: Page) -> str:
    return f"{page.method} {page.url}" + (f" {','.join(page.fields)}" if page.fields else "")


@pytest.fixture(autouse=True)
def _relays_offline(relay_names):
    """A relay's check resolves its name to an address the guard refuses: none connects."""


@pytest.fixture
def world(module_world, db) -> dict:
    return fresh(module_world)


@pytest.fixture(scope="module")
def module_world(module_transaction) -> dict:
    """One of everything, owned by `user`; `other user` owns a copy of it all. Made once
    for the module's pages (each example rolls back what it writes)."""
    objects = {}
    for prefix in ("", "stranger_"):
        owner = UserFactory()
        client = ClientFactory(owner=owner)
        ClientFactory(owner=owner, attributes={"gorod": "Казань"})  # a custom field
        mailing = MailingFactory(owner=owner, clients=[client])
        delivery = DeliveryFactory(attempt__mailing=mailing, client=client, status="failed")
        upload = client_import_create(owner=owner, data=b"email,lists\nx@example.com,Fresh\n")
        token, _secret = ApiToken.issue(owner=owner, name="shop")
        mailing_list = MailingList.objects.create(owner=owner, name="Новости")
        segment = Segment.objects.create(
            owner=owner, name="Все", rules=[{"field": "email", "op": "contains", "value": "@"}]
        )
        objects |= {
            f"{prefix}list": mailing_list.pk,
            f"{prefix}segment": segment.pk,
            f"{prefix}owner": owner,
            f"{prefix}client": client.pk,
            f"{prefix}message": mailing.message_id,
            f"{prefix}mailing": mailing.pk,
            f"{prefix}attempt": delivery.attempt_id,
            f"{prefix}import": upload.pk,
            f"{prefix}sender": SenderFactory(owner=owner).pk,
            f"{prefix}domain": DomainFactory(owner=owner).pk,
            # On this machine: the test button refuses it without connecting anywhere.
            f"{prefix}relay": relay_save(relay=Relay(owner=owner), url="smtp://127.0.0.1:1").pk,
            f"{prefix}api_token": token.pk,
            f"{prefix}attachment": MessageAttachment.objects.create(
                message_id=mailing.message_id,
                name="a.txt",
                content_type="text/plain",
                data=b"a",
                size=1,
            ).pk,
            f"{prefix}message_image": MessageImage.objects.create(
                owner=owner, image="message-images/x.png", width=1, height=1, name="x.png"
            ).pk,
        }
        mailing_list = MailingList.objects.create(owner=owner, name="News")
        Membership.objects.create(client=client, mailing_list=mailing_list, status="pending")
        consent = ConsentRecord.objects.create(
            client=client, mailing_list=mailing_list, source="form"
        )
        objects |= {
            f"{prefix}list": mailing_list.pk,
            f"{prefix}list_token": mailing_list.token,
            f"{prefix}captcha_list_token": MailingList.objects.create(
                owner=owner, name="Guarded", captcha=True
            ).token,
            f"{prefix}confirm_link": confirmation_token(consent),
            f"{prefix}mailing_list": MembershipFactory(
                mailing_list__owner=owner, client=client
            ).mailing_list_id,
            f"{prefix}tag": TagFactory(owner=owner).pk,
            f"{prefix}suppression": bounced_address(owner),
        }
    return {
        **{name: str(value) for name, value in objects.items() if "owner" not in name},
        "user": str(objects["owner"].pk),
        "stranger_user": str(objects["stranger_owner"].pk),
        "user_email": objects["owner"].email,
        "post": str(PostFactory().pk),
        "draft": str(DraftFactory().pk),
        "token": unsubscribe_token(int(objects["client"])),
        **tracked_tokens(int(objects["attempt"])),
        "roles": {
            "anonymous": None,
            "user": objects["owner"],
            "other user": objects["stranger_owner"],
            "manager": manager(),
            "content manager": content_manager(),
        },
    }


def bounced_address(owner) -> int:
    """The suppression of a bounced client of `owner`."""
    client = ClientFactory(owner=owner, status="bounced")
    suppression_record(client=client, status="bounced")
    return Suppression.objects.get(owner=owner).pk


def tracked_tokens(attempt_id: int) -> dict[str, str]:
    """A genuine click and pixel token of one of the world's runs."""
    delivery = Delivery.objects.filter(attempt_id=attempt_id).first()
    link = Link.objects.create(attempt_id=attempt_id, url="https://shop.example/", url_hash="1")
    signer = Signer(attempt_id=attempt_id, mode="recipient")
    return {
        "click_token": signer.click_token(delivery.pk, link.pk),
        "open_token": signer.open_token(delivery.pk),
    }


def fill(value, world: dict):
    """Put the world's ids in place of placeholders; generated text is left as it is."""
    if isinstance(value, list):
        return [fill(item, world) for item in value]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return world.get(value[1:-1], value)
    return value


def submissions(page: Page) -> st.SearchStrategy[dict]:
    """A valid submission with any of its fields replaced, dropped or added."""
    return st.fixed_dictionaries(
        {
            name: st.one_of(
                *([st.just(page.valid[name])] if name in page.valid else []),
                strategy,
                st.just(OMIT),
            )
            for name, strategy in page.fields.items()
        }
    ).map(lambda data: {name: value for name, value in data.items() if value is not OMIT})


path_values = st.one_of(
    st.just(None), st.sampled_from(["0", "-1", str(2**63), hostile.HUGE, "%00", "x" * 5000])
)


def check(response, page: Page, data: dict) -> None:
    assert response.status_code < 500, response.status_code
    form = (response.context or {}).get("form") if page.method == "POST" else None
    if response.status_code != 200 or not isinstance(form, forms.BaseForm) or not form.is_bound:
        return
    # Shown again means refused, and a refusal says why (beside a field, or on top).
    shown = response.context.get("messages") or []
    said = form.errors or any(message.level_tag == "error" for message in shown)
    assert said, "the form came back without saying what is wrong"
    for name, value in data.items():
        text_field = isinstance(form.fields.get(name), forms.CharField)
        if text_field and isinstance(value, str) and "\x00" in value:
            assert name in form.errors, f"a NUL byte in {name} was accepted"


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES, ids=[page_id(page) for page in PAGES])
def test_no_input_breaks_a_page(page, world):
    placeholders = [part[1:-1] for part in page.url.split("/") if part.startswith("{")]

    @given(
        role=st.sampled_from(page.roles),
        data=submissions(page),
        path_value=path_values if placeholders else st.just(None),
        language=st.one_of(st.just("ru"), hostile.hostile_text),
    )
    def run(role, data, path_value, language):
        browser = Browser(HTTP_ACCEPT_LANGUAGE=language)
        values = {**world, "hostile": path_value or "x"}
        if path_value is not None:
            values = {**values, **dict.fromkeys(placeholders, path_value)}
        url = page.url.format_map(values)
        with transaction.atomic():
            if world["roles"][role] is not None:
                browser.force_login(world["roles"][role])
            filled = {name: fill(value, world) for name, value in data.items()}
            send = browser.post if page.method == "POST" else browser.get
            response = send(url, filled)
            check(response, page, filled)
            transaction.set_rollback(True)

    run()


# Every named file of each kind once, whatever Hypothesis happens to draw.


def import_to_the_end(browser, data: bytes) -> None:
    """Upload, match the columns as proposed and import: each step answers with the page
    that follows or with its reason (beside the file, on top of the mapping, on the job),
    never a crash."""
    upload = hostile.SimpleUploadedFile("clients.csv", data)
    response = browser.post("/clients/import/", {"file": upload})
    if response.status_code == 200:
        assert response.context["form"].errors["file"]
        return
    assert response.status_code == 302
    mapping = browser.get(response.url)
    assert mapping.status_code == 200
    confirmed = browser.post(response.url, importing.mapping_data(mapping))
    if confirmed.status_code == 200:
        # Refused with its reason: no email column, two columns for one field, ...
        assert confirmed.context["form"].non_field_errors()
        return
    assert confirmed.status_code == 302
    client_imports_run()
    job = ClientImport.objects.filter(owner=browser.owner).latest("pk")
    assert job.is_over
    if job.status == ClientImport.Status.FAILED:
        assert job.failure
        assert "could not be imported" not in job.failure  # an unexpected exception
    else:
        assert job.created_count or job.updated_count or job.error_count
    assert browser.get(confirmed.url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(hostile.CSV_FILES))
def test_every_malformed_csv_gets_a_file_or_row_error(name, owner_browser):
    import_to_the_end(owner_browser, hostile.CSV_FILES[name])


spreadsheets = st.builds(
    lambda rows, encoding, delimiter: "\n".join(
        delimiter.join(cell.replace(delimiter, " ") for cell in row) for row in rows
    ).encode(encoding, errors="replace"),
    st.lists(st.lists(hostile.hostile_text, min_size=1, max_size=4), min_size=1, max_size=5).map(
        lambda rows: [["email", *rows[0][1:]], *rows[1:]]
    ),
    st.sampled_from(["utf-8", "cp1251", "koi8_r", "utf-16"]),
    st.sampled_from([",", ";", "\t", "|"]),
)


@pytest.mark.django_db
def test_any_bytes_uploaded_get_a_mapping_page_or_a_reason(owner_browser):
    @given(data=st.one_of(st.binary(max_size=3000), spreadsheets))
    def run(data):
        with transaction.atomic():
            import_to_the_end(owner_browser, data)
            transaction.set_rollback(True)

    run()


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(hostile.IMAGE_FILES))
@pytest.mark.parametrize(
    "url, data, role",
    [
        ("/blog/new/", {"title": "T", "body": "B"}, content_manager),
        ("/messages/images/new/", {}, UserFactory),
        ("/messages/new/", {"subject": "S", "body": "B", "format": "markdown"}, UserFactory),
    ],
)
def test_every_odd_image_is_taken_or_refused_beside_the_field(name, url, data, role, client):
    client.force_login(role())
    upload = hostile.SimpleUploadedFile(name, hostile.IMAGE_FILES[name])
    response = client.post(url, {**data, "image": upload})
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert response.context["form"].errors["image"]


# Each 500 the suite found, pinned: the value, and the error it now gets instead.


@pytest.fixture
def owner_browser(client):
    owner = UserFactory()
    client.force_login(owner)
    client.owner = owner
    return client


def mailing_form(browser, **changes):
    owner = browser.owner
    data = {
        "message": MailingFactory(owner=owner).message_id,
        "start_at": "2031-06-01T09:00",
        "end_at": "2031-07-01T09:00",
        "periodicity": "daily",
        "clients": [ClientFactory(owner=owner).pk],
        **changes,
    }
    return browser.post("/mailings/new/", data)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes, field",
    [
        ({"start_at": "0001-01-01T00:00", "periodicity": "once", "end_at": ""}, "start_at"),
        ({"start_at": "9999-12-31T23:59", "periodicity": "once", "end_at": ""}, "start_at"),
        ({"end_at": "9999-12-31T23:59"}, "end_at"),
        ({"clients": [str(2**63)]}, "clients"),
        ({"clients": [hostile.HUGE]}, "clients"),
    ],
)
def test_mailing_form_refuses_what_cannot_be_stored(owner_browser, changes, field):
    response = mailing_form(owner_browser, **changes)
    assert response.status_code == 200
    assert field in response.context["form"].errors


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["date_to=9999-12-31", "date_from=0001-01-01"])
def test_report_filters_refuse_dates_out_of_range(owner_browser, query):
    response = owner_browser.get(f"/reports/?{query}")
    assert response.status_code == 200
    assert query.split("=")[0] in response.context["filter_form"].errors
    export = owner_browser.get(f"/reports/export/?{query}")
    assert export.status_code == 200
    assert b"".join(export.streaming_content).startswith("\ufeff".encode())


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", ["a\x00b", "users", "//evil.example.net/"])
def test_block_returns_to_the_list_whatever_next_says(client, next_url):
    client.force_login(manager())
    target = UserFactory()
    response = client.post(f"/manager/users/{target.pk}/block/", {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/manager/users/"


def import_csv(browser, data: bytes) -> ClientImport:
    """Upload as the browser's owner, take its columns as proposed and let the
    scheduler's pass import it."""
    response = importing.confirm(browser, importing.upload(browser, data))
    assert response.status_code == 302
    client_imports_run()
    return ClientImport.objects.filter(owner=browser.owner).latest("pk")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "line",
    [
        b'huge@example.org,"' + b"x" * 140_000 + b'"',
        b"huge@example.org," + b"y" * 140_000,
        b"nul@example.org,An\x00na",
    ],
)
def test_an_unreadable_line_is_a_row_error_and_the_rest_is_imported(owner_browser, line):
    data = b"email,full_name\n" + line + b"\nok@example.org,Ok\n"
    job = import_csv(owner_browser, data)
    assert [error["lines"] for error in job.errors] == [[2]]
    assert job.created_count == 1
    assert list(owner_browser.owner.clients.values_list("email", flat=True)) == ["ok@example.org"]


@pytest.mark.django_db
def test_a_binary_file_is_a_file_error(owner_browser):
    # Refused at the upload, beside the field: its columns cannot even be read.
    response = importing.upload(owner_browser, bytes(range(256)) * 8)
    assert response.context["form"].errors["file"]
    assert not ClientImport.objects.filter(owner=owner_browser.owner).exists()
    assert not owner_browser.owner.clients.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "cp1251", "utf-8-sig"])
def test_unicode_and_russian_encodings_are_read(owner_browser, encoding):
    data = "email\tfull_name\nanna@example.org\tАнна\n".encode(encoding)
    job = import_csv(owner_browser, data)
    assert job.created_count == 1
    assert owner_browser.owner.clients.get().full_name == "Анна"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/clients/", "/clients/export/", "/messages/", "/mailings/", "/manager/users/"]
)
def test_a_nul_in_a_search_is_dropped_not_sent_to_the_database(client, path):
    # PostgreSQL answered DataError (a 500) for ?q=%00; SQLite let it through.
    ClientFactory(owner=(owner := UserFactory()), email="anna@example.org")
    client.force_login(manager() if path.startswith("/manager/") else owner)
    response = client.get(path, {"q": "an\x00na"})
    assert response.status_code == 200
    if response.streaming:
        assert b"anna@example.org" in b"".join(response.streaming_content)
    else:
        assert response.context["query"] == "anna"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "forwarded_for", ["garbage", "", " , ", "1.2.3.4, ", "::1", "[::1]:443", "a\x00b", "9" * 5000]
)
def test_a_forged_forwarded_for_is_no_server_error(client, settings, forwarded_for):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip", "login": "30/m/ip"}
    UserFactory(email="victim@example.com")
    response = client.post(
        "/accounts/login/",
        {"login": "victim@example.com", "password": "wrong"},
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )
    assert response.status_code in (200, 403)
