"""Images uploaded into messages: checked, made at most 1200 px wide without their
metadata, stored per owner under MEDIA_ROOT, put in emails by their SITE_URL address;
their pages follow the workspace's rules (another user's: 404; a manager reads only)."""

import io
import re
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from accounts.tests.factories import UserFactory, manager
from content.models import Message, MessageImage
from content.renderer import Recipient, Renderer, preview_of

pytestmark = pytest.mark.django_db

SITE_URL = "https://mail.shop.example"
GPS_INFO, CAMERA_MAKE, ORIENTATION = 0x8825, 0x010F, 0x0112


@pytest.fixture(autouse=True)
def site(settings, signed_in):
    settings.SITE_URL = SITE_URL
    signed_in.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def media(settings, tmp_path):
    """MEDIA_ROOT of this test alone, to count the files in it."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def files_under(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def photo(width=3000, height=2000, image_format="JPEG", mode="RGB", **save) -> bytes:
    image = Image.new(mode, (width, height), (30, 90, 160) if mode == "RGB" else (30, 90, 160, 90))
    buffer = io.BytesIO()
    image.save(buffer, image_format, **save)
    return buffer.getvalue()


def jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[CAMERA_MAKE] = "SpyCam"
    exif[ORIENTATION] = 6  # taken sideways: shown turned 90°
    exif.get_ifd(GPS_INFO)[2] = (55.0, 45.0, 0.0)
    return photo(3000, 2000, exif=exif.tobytes())


def upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def submit_image(browser, data: bytes, name: str = "photo.jpg"):
    return browser.submit(
        "/messages/images/new/", {"image": upload(data, name)}, form_url="/messages/images/"
    )


def test_an_upload_is_upright_1200_wide_without_metadata_and_has_its_markdown(
    signed_in, owner, media
):
    response = submit_image(signed_in, jpeg_with_exif(), "Summer Photo.JPG")
    picture = MessageImage.objects.get()
    assert response.status_code == 302 and response.url == picture.get_absolute_url()
    assert picture.owner == owner and picture.name == "summer-photo.jpg"
    with Image.open(picture.image.path) as stored:
        # 3000×2000 turned upright is 2000×3000; then at most 1200 wide.
        assert (stored.format, stored.size) == ("JPEG", (1200, 1800))
        assert dict(stored.getexif()) == {} and "exif" not in stored.info
    assert (picture.width, picture.height) == (1200, 1800)
    assert files_under(media) == {picture.image.name}
    assert picture.image.name.startswith(f"message-images/{owner.pk}/")
    url = f"{SITE_URL}/media/{picture.image.name}"
    assert picture.markdown == f"![]({url})"
    page = signed_in.get(response.url).content.decode()
    assert f'value="![]({url})"' in page


def test_small_images_are_not_enlarged_and_transparency_stays_png(signed_in, media):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret notes")
    submit_image(signed_in, photo(300, 100, "PNG", mode="RGBA", pnginfo=info), "logo.png")
    with Image.open(MessageImage.objects.get().image.path) as stored:
        assert (stored.format, stored.size, stored.mode) == ("PNG", (300, 100), "RGBA")
        assert "Comment" not in stored.info


def test_webp_becomes_jpeg_which_every_mail_client_shows(signed_in):
    submit_image(signed_in, photo(1600, 800, "WEBP"), "banner.webp")
    with Image.open(MessageImage.objects.get().image.path) as stored:
        assert (stored.format, stored.size) == ("JPEG", (1200, 600))


def test_an_animation_keeps_its_frames_resized(signed_in):
    frames = [Image.new("RGB", (2400, 400), (red, 0, 0)) for red in (0, 120, 240)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=200, loop=0)
    submit_image(signed_in, buffer.getvalue(), "spinner.gif")
    with Image.open(MessageImage.objects.get().image.path) as stored:
        assert (stored.format, stored.size, stored.n_frames) == ("GIF", (1200, 200), 3)


def refused(browser, data: bytes, name: str) -> list[str]:
    response = submit_image(browser, data, name)
    assert response.status_code == 200
    assert not MessageImage.objects.exists()
    return response.context["form"].errors["image"]


def test_a_decompression_bomb_is_refused_before_it_is_decoded(signed_in, media):
    # 200 megapixels of one colour compress to a few kilobytes.
    bomb = Image.new("1", (20_000, 10_000))
    buffer = io.BytesIO()
    bomb.save(buffer, "PNG")
    assert len(buffer.getvalue()) < 100_000
    assert refused(signed_in, buffer.getvalue(), "bomb.png") == ["The image has too many pixels."]
    assert files_under(media) == set()


def test_an_animation_of_too_many_large_frames_is_refused(signed_in):
    frames = [Image.new("P", (2000, 2000), n) for n in range(11)]  # 44 megapixels in all
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    assert refused(signed_in, buffer.getvalue(), "frames.gif") == [
        "The animation has too many frames for its size (40 megapixels)."
    ]


def test_other_files_and_big_ones_are_refused(signed_in):
    assert refused(signed_in, b"<svg onload=alert(1)>", "x.svg") == [
        "This file is not an image, or the image is damaged."
    ]
    too_big = photo(500, 500, "PNG") + b"\0" * (5 * 1024 * 1024)
    assert refused(signed_in, too_big, "big.png") == ["The file is 5.0 MB; the limit is 5 MB."]


def test_an_image_chosen_in_the_message_form_ends_up_in_the_email(signed_in, owner):
    response = signed_in.submit(
        "/messages/new/",
        {
            "subject": "Новинки",
            "format": "markdown",
            "body": "# Hello, {{ full_name }}",
            "image": upload(photo(800, 400), "sale.jpg"),
        },
    )
    assert response.status_code == 302
    message = Message.objects.get()
    picture = MessageImage.objects.get(owner=owner)
    assert message.body == f"# Hello, {{{{ full_name }}}}\n\n{picture.markdown}\n"
    renderer = Renderer.for_message(message, mailing=None)
    email = preview_of(renderer, Recipient(0, 0, "anna@example.org", "Анна"))
    assert re.search(rf'<img [^>]*src="{re.escape(picture.email_url)}"', email.html)


def test_an_html_message_gets_an_img_tag(signed_in):
    signed_in.submit(
        "/messages/new/",
        {"subject": "S", "format": "html", "body": "<p>Hi</p>", "image": upload(photo(100, 50))},
    )
    picture = MessageImage.objects.get()
    assert (
        Message.objects.get().body
        == f'<p>Hi</p>\n\n<img src="{picture.email_url}" alt="" width="100">\n'
    )


def test_a_plain_text_message_cannot_take_an_image(signed_in):
    response = signed_in.submit(
        "/messages/new/",
        {"subject": "S", "format": "plain", "body": "Hi", "image": upload(photo(100, 50))},
    )
    assert response.context["form"].errors["image"] == [
        "Images show in Markdown and HTML messages: choose one of those formats."
    ]
    assert not Message.objects.exists() and not MessageImage.objects.exists()


def test_the_file_is_served_from_the_media_address(signed_in, client):
    # The site's own MEDIA_ROOT (the URL pattern was bound to it), not a test's.
    submit_image(signed_in, photo(640, 480))
    picture = MessageImage.objects.get()
    # Anyone may fetch it, as a mail client does: no login.
    response = client.get(picture.image.url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"  # a JPEG


@pytest.fixture
def theirs():
    other = UserFactory()
    picture = MessageImage(owner=other, name="theirs.png")
    picture.image.save("x.png", ContentFile(photo(50, 50, "PNG"), name="x.png"), save=True)
    return picture


def test_another_users_image_is_404_and_stays(signed_in, theirs):
    assert signed_in.get(f"/messages/images/{theirs.pk}/").status_code == 404
    assert signed_in.get(f"/messages/images/{theirs.pk}/delete/").status_code == 404
    response = signed_in.post(f"/messages/images/{theirs.pk}/delete/")
    assert response.status_code in (403, 404)  # 403: CSRF, without the page's token
    assert MessageImage.objects.filter(pk=theirs.pk).exists()
    assert theirs.name not in signed_in.get("/messages/images/").content.decode()


def test_a_manager_sees_every_image_and_changes_none(csrf_client, theirs):
    csrf_client.force_login(manager())
    assert csrf_client.get(f"/messages/images/{theirs.pk}/").status_code == 200
    assert theirs.name in csrf_client.get("/messages/images/").content.decode()
    assert csrf_client.get(f"/messages/images/{theirs.pk}/delete/").status_code == 403
    assert csrf_client.get("/messages/images/new/").status_code == 403


def test_the_pages_need_a_login(client, theirs):
    for url in ("/messages/images/", f"/messages/images/{theirs.pk}/", "/messages/images/new/"):
        assert client.get(url).status_code == 302


def test_deleting_removes_the_file(signed_in, media, django_capture_on_commit_callbacks):
    submit_image(signed_in, photo(64, 64))
    picture = MessageImage.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.submit(f"/messages/images/{picture.pk}/delete/")
    assert response.status_code == 302 and response.url == "/messages/images/"
    assert not MessageImage.objects.exists()
    assert files_under(media) == set()


def test_a_deleted_account_takes_its_image_files(media, theirs, django_capture_on_commit_callbacks):
    assert files_under(media) == {theirs.image.name}
    with django_capture_on_commit_callbacks(execute=True):
        theirs.owner.delete()
    assert files_under(media) == set()
