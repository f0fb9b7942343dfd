"""What a message carries besides its text reaches the recipient's mail server: an
uploaded image as an address under SITE_URL in the HTML part, attachments as parts of
every email."""

import email
import email.policy
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from config.images import check_image
from content.models import Message, MessageAttachment
from content.services import message_image_create
from mailings.tests.factories import mailing_to
from sending.passes import run_pass

pytestmark = pytest.mark.django_db


def test_an_uploaded_image_arrives_by_its_site_url_address(smtp_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SITE_URL = "https://mail.acme.example"
    mailing = mailing_to(1)
    buffer = io.BytesIO()
    Image.new("RGB", (2000, 1000), (10, 120, 200)).save(buffer, "PNG")
    upload = SimpleUploadedFile("banner.png", buffer.getvalue(), content_type="image/png")
    check_image(upload, keeps_frames=True)
    picture = message_image_create(owner=mailing.owner, upload=upload)
    Message.objects.filter(pk=mailing.message_id).update(
        format="markdown", body=f"# Sale\n\n{picture.markdown}\n\n![](http://tracker.example/p.gif)"
    )
    run_pass()
    [(_recipient, data)] = smtp_server.messages
    html = next(
        part.get_content()
        for part in email.message_from_bytes(data, policy=email.policy.default).walk()
        if part.get_content_type() == "text/html"
    )
    assert re.search(r'<img [^>]*src="https://mail\.acme\.example/media/message-images/', html)
    assert "tracker.example" not in html
    assert (picture.width, picture.height) == (1200, 600)


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_every_email_carries_the_files(smtp_server, owner):
    mailing = mailing_to(2, owner=owner)
    MessageAttachment.objects.create(
        message=mailing.message,
        name="прайс.pdf",
        content_type="application/pdf",
        data=PDF,
        size=len(PDF),
    )
    Message.objects.filter(pk=mailing.message_id).update(format="markdown", body="# Prices")
    run_pass()
    assert len(smtp_server.messages) == 2
    for _recipient, data in smtp_server.messages:
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        [attachment] = list(parsed.iter_attachments())
        assert attachment.get_filename() == "прайс.pdf"
        assert attachment.get_content_type() == "application/pdf"
        assert attachment.get_content() == PDF
        assert "Prices" in parsed.get_body(("html",)).get_content()
        assert parsed.get_body(("plain",)) is not None
