"""Blog images: the resized versions pages show (what an upload must be: config.images)."""

import io
from pathlib import PurePath
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile

from config.images import MAX_SIDE, has_alpha

if TYPE_CHECKING:
    from PIL import Image

MIN_SIDE = 200
DISPLAY_WIDTH = 1200
THUMB_SIZE = (640, 360)
RENDITION_FORMAT, RENDITION_EXT = ("WEBP", "webp")


def make_renditions(source) -> tuple[ContentFile, ContentFile]:
    """The display version (at most DISPLAY_WIDTH wide) and the card thumbnail (cropped)."""
    # Imported here: the admin loads this module at every start (commands too).
    from PIL import Image, ImageOps

    source.open("rb")
    try:
        with Image.open(source) as image:
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGBA" if has_alpha(image) else "RGB")
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


def _encode(image: "Image.Image") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, RENDITION_FORMAT, quality=82, method=4)
    return buffer.getvalue()
