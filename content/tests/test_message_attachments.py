"""Files sent with a message: allowed kinds told by their content, 5 MB in all, removed
by the owner only, copied with the message (sending them: sending/tests/
test_images_and_attachments_in_emails.py)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import manager
from content.models import Message, MessageAttachment
from content.services import message_duplicate
from mailings.tests.factories import MessageFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CSV = "email,сумма\nanna@example.org,100\n".encode()


@pytest.fixture(autouse=True)
def english(signed_in):
    signed_in.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def files(*named: tuple[str, bytes]) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(name, data) for name, data in named]


def new_message(browser, attachments, **fields):
    data = {"subject": "Invoice", "format": "plain", "body": "See the file", **fields}
    return browser.submit("/messages/new/", {**data, "attachments": attachments})


def test_allowed_files_are_kept_with_the_message(signed_in, owner):
    response = new_message(signed_in, files(("Счёт March.pdf", PDF), ("prices.csv", CSV)))
    assert response.status_code == 302
    message = Message.objects.get(owner=owner)
    kept = [(a.name, a.content_type, bytes(a.data), a.size) for a in message.attachments.all()]
    assert kept == [
        ("счёт-march.pdf", "application/pdf", PDF, len(PDF)),
        ("prices.csv", "text/csv", CSV, len(CSV)),
    ]
    page = signed_in.get(message.get_absolute_url()).content.decode()
    assert "счёт-march.pdf" in page and "prices.csv" in page


@pytest.mark.parametrize(
    "name, data, error",
    [
        ("setup.exe", b"MZ\x90\x00", "“setup.exe”: attach PDF, images (PNG, JPEG, GIF), office"),
        ("page.html", b"<script>", "“page.html”: attach PDF"),
        ("invoice.pdf", b"MZ\x90\x00 not a pdf", "“invoice.pdf” is not really a .pdf file."),
        ("notes.txt", b"\x00\x01binary", "“notes.txt” is not really a .txt file."),
        ("big.pdf", PDF + b"\0" * (5 * 1024 * 1024), "“big.pdf” is over 5 MB."),
    ],
)
def test_other_files_are_refused_beside_the_field(signed_in, name, data, error):
    response = new_message(signed_in, files((name, data)))
    assert response.status_code == 200
    [message] = response.context["form"].errors["attachments"]
    assert message.startswith(error)
    assert not Message.objects.exists() and not MessageAttachment.objects.exists()


def test_the_attachments_of_a_message_come_to_5_mb_at_most(signed_in, owner):
    three_mb = PDF + b"\0" * (3 * 1024 * 1024)
    new_message(signed_in, files(("a.pdf", three_mb)))
    message = Message.objects.get()
    response = signed_in.submit(
        f"/messages/{message.pk}/edit/",
        {"subject": "S", "format": "plain", "body": "B", "attachments": files(("b.pdf", three_mb))},
    )
    assert response.context["form"].errors["attachments"] == [
        "Attachments may come to 5 MB in all; these would make 6.0 MB."
    ]
    assert message.attachments.count() == 1


def test_only_the_owner_removes_an_attachment(signed_in, owner, csrf_client):
    theirs = MessageFactory()
    their_file = MessageAttachment.objects.create(
        message=theirs, name="t.pdf", content_type="application/pdf", data=PDF, size=len(PDF)
    )
    url = f"/messages/{theirs.pk}/attachments/{their_file.pk}/delete/"
    assert signed_in.submit(url, form_url="/messages/").status_code == 404
    mine = MessageFactory(owner=owner)
    # Another message's attachment id under my message: 404 too.
    mixed = f"/messages/{mine.pk}/attachments/{their_file.pk}/delete/"
    assert signed_in.submit(mixed, form_url="/messages/").status_code == 404
    csrf_client.force_login(manager())
    assert csrf_client.post(url).status_code == 403
    assert MessageAttachment.objects.filter(pk=their_file.pk).exists()

    signed_in.force_login(theirs.owner)
    response = signed_in.submit(url, form_url=f"/messages/{theirs.pk}/")
    assert response.status_code == 302 and response.url == f"/messages/{theirs.pk}/"
    assert not MessageAttachment.objects.exists()


def test_a_duplicated_message_keeps_its_files(owner):
    message = MessageFactory(owner=owner)
    MessageAttachment.objects.create(
        message=message, name="a.pdf", content_type="application/pdf", data=PDF, size=len(PDF)
    )
    copy = message_duplicate(message=message)
    [attachment] = copy.attachments.all()
    assert (attachment.name, bytes(attachment.data)) == ("a.pdf", PDF)
