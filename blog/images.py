"""Blog images: what an upload must be, and the resized versions pages show."""

import io
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

MAX_BYTES = 5 * 1024 * 1024
MIN_SIDE = 200
MAX_SIDE = 8000
# Width × height alone can still decode to gigabytes: 40 MP is ~160 MB of RGBA.
MAX_PIXELS = 40_000_000
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
ACCEPT = "image/jpeg,image/png,image/webp,image/gif"

DISPLAY_WIDTH = 1200
THUMB_SIZE = (640, 360)
RENDITION_FORMAT, RENDITION_EXT = ("WEBP", "webp")


def check_image(upload) -> str:
    """Validate an uploaded file as a blog image; return the extension its format calls for.

    Raises ValidationError with a message that says what is wrong.
    """
    if upload.size > MAX_BYTES:
        raise ValidationError(
            _("The file is %(size)s MB; the limit is 5 MB."),
            code="too_big",
            params={"size": f"{upload.size / 1024 / 1024:.1f}"},
        )
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image_format = image.format
            width, height = image.size
            if image_format not in FORMATS:
                raise ValidationError(
                    _("Upload a JPEG, PNG, WebP or GIF image; this one is %(format)s."),
                    code="format",
                    params={"format": image_format},
                )
            # Checked before decoding, so a small file that would inflate is never decoded.
            _check_dimensions(width, height)
            image.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()  # verify() does not decode pixels; a truncated file fails here
    except ValidationError:
        raise
    except Image.DecompressionBombError as error:
        raise ValidationError(
            _("The image has too many pixels."), code="too_many_pixels"
        ) from error
    except Exception as error:  # Pillow raises many types for damaged files
        raise ValidationError(
            _("This file is not an image, or the image is damaged."), code="invalid"
        ) from error
    finally:
        upload.seek(0)
    return FORMATS[image_format]


def _check_dimensions(width: int, height: int) -> None:
    if width < MIN_SIDE or height < MIN_SIDE:
        raise ValidationError(
            _(
                "The image is %(width)s×%(height)s pixels; it must be at least "
                "%(min)s×%(min)s pixels."
            ),
            code="too_small",
            params={"width": width, "height": height, "min": MIN_SIDE},
        )
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise ValidationError(
            _(
                "The image is %(width)s×%(height)s pixels; it may be at most %(max)s pixels "
                "on a side and %(megapixels)s megapixels."
            ),
            code="too_large",
            params={
                "width": width,
                "height": height,
                "max": MAX_SIDE,
                "megapixels": MAX_PIXELS // 1_000_000,
            },
        )


def clean_name(name: str, extension: str) -> str:
    """A safe file name whose extension matches the real format."""
    stem = slugify(PurePath(name).stem, allow_unicode=False)[:60] or "image"
    return f"{stem}.{extension}"


def make_renditions(source) -> tuple[ContentFile, ContentFile]:
    """The display version (at most DISPLAY_WIDTH wide) and the card thumbnail (cropped)."""
    source.open("rb")
    try:
        with Image.open(source) as image:
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGBA" if _has_alpha(image) else "RGB")
            display = image.copy()
            if display.width > DISPLAY_WIDTH:
                display.thumbnail((DISPLAY_WIDTH, MAX_SIDE), Image.Resampling.LANCZOS)
            thumb = ImageOps.fit(image, THUMB_SIZE, Image.Resampling.LANCZOS)
    finally:
        source.close()
    stem = PurePath(source.name).stem
    return (
        ContentFile(_encode(display), name=f"{stem}-{DISPLAY_WIDTH}.{RENDITION_EXT}"),
        ContentFile(_encode(thumb), name=f"{stem}-card.{RENDITION_EXT}"),
    )


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)


def _encode(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, RENDITION_FORMAT, quality=82, method=4)
    return buffer.getvalue()
