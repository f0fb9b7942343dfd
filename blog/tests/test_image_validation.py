"""An uploaded image must be a real, decodable JPEG/PNG/WebP/GIF of sane size."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from blog.forms import PostForm
from blog.tests.factories import image_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def errors_for(upload) -> list[str]:
    form = PostForm(data={"title": "t", "body": "b"}, files={"image": upload})
    assert not form.is_valid()
    return form.errors["image"]


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize("image_format", ["PNG", "JPEG", "WEBP", "GIF"])
def test_it_accepts_the_four_formats(image_format):
    form = PostForm(
        data={"title": "t", "body": "b"},
        files={"image": upload("photo.bin", image_bytes(image_format=image_format))},
    )
    assert form.is_valid(), form.errors
    # The stored name's extension follows the real format, not the uploaded name.
    extension = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}[image_format]
    assert form.cleaned_data["image"].name == f"photo.{extension}"


def test_it_rejects_a_file_that_is_not_an_image():
    assert errors_for(upload("cover.png", b"<?php echo 'hi'; ?>" * 50)) == [
        "This file is not an image, or the image is damaged."
    ]


def test_it_rejects_a_truncated_image():
    data = image_bytes(image_format="JPEG", width=1000, height=1000)
    errors = errors_for(upload("cut.jpg", data[: len(data) // 2], "image/jpeg"))
    assert errors == ["This file is not an image, or the image is damaged."]


def test_it_rejects_another_image_type():
    buffer = io.BytesIO()
    Image.new("RGB", (400, 400)).save(buffer, "BMP")
    assert errors_for(upload("cover.bmp", buffer.getvalue(), "image/bmp")) == [
        "Upload a JPEG, PNG, WebP or GIF image; this one is BMP."
    ]


def test_it_rejects_files_over_five_megabytes():
    too_big = image_bytes() + b"\0" * (5 * 1024 * 1024)
    assert errors_for(upload("big.png", too_big)) == ["The file is 5.0 MB; the limit is 5 MB."]


def test_it_rejects_too_small_images():
    assert errors_for(upload("tiny.png", image_bytes(width=120, height=400))) == [
        "The image is 120×400 pixels; it must be at least 200×200 pixels."
    ]


def test_it_rejects_too_large_dimensions_without_decoding():
    # 9000×300 stays under 5 MB compressed but is over the 8000-pixel side limit.
    errors = errors_for(upload("wide.png", image_bytes(width=9000, height=300)))
    assert errors == [
        "The image is 9000×300 pixels; it may be at most 8000 pixels on a side and 40 megapixels."
    ]


def test_it_rejects_a_decompression_bomb():
    # A tiny PNG that claims 7000×7000 (49 MP): rejected from its header alone.
    buffer = io.BytesIO()
    Image.new("1", (7000, 7000)).save(buffer, "PNG", optimize=True)
    assert len(buffer.getvalue()) < 100_000
    errors = errors_for(upload("bomb.png", buffer.getvalue()))
    assert errors == [
        "The image is 7000×7000 pixels; it may be at most 8000 pixels on a side and 40 megapixels."
    ]
