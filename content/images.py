"""Images uploaded into messages, as they go out in emails (what an upload must be:
config.images)."""

import io

from django.core.files.base import ContentFile
from PIL import Image, ImageOps, ImageSequence

from config.images import MAX_SIDE, has_alpha

# Twice the 600 px of the email's column: sharp on high-density screens, and no more
# bytes than that for every recipient to download.
EMAIL_WIDTH = 1200


def email_version(upload) -> ContentFile:
    """The checked upload upright, at most EMAIL_WIDTH wide, re-encoded without its
    metadata (EXIF with the camera and the place, comments, profiles), in a format every
    mail client shows (WebP is not one: Outlook for Windows shows nothing); named for
    its format."""
    upload.seek(0)
    with Image.open(upload) as image:
        if image.format == "GIF" and getattr(image, "n_frames", 1) > 1:
            return ContentFile(_animation(image), name="image.gif")
        lossy = image.format in ("JPEG", "WEBP") and not has_alpha(image)
        still = ImageOps.exif_transpose(image)
        still = still.convert("RGBA" if has_alpha(still) else "RGB")
    still = _fit(still)
    buffer = io.BytesIO()
    if lossy:
        still.save(buffer, "JPEG", quality=85, optimize=True)
        return ContentFile(buffer.getvalue(), name="image.jpg")
    still.save(buffer, "PNG", optimize=True)
    return ContentFile(buffer.getvalue(), name="image.png")


def _fit(image: Image.Image) -> Image.Image:
    if image.width > EMAIL_WIDTH:
        image = image.copy()
        image.thumbnail((EMAIL_WIDTH, MAX_SIDE), Image.Resampling.LANCZOS)
    image.info = {}  # nothing of the original's metadata is written back
    return image


def _animation(image: Image.Image) -> bytes:
    """Every frame resized (check_image with keeps_frames bounded their pixels)."""
    frames, durations = [], []
    for frame in ImageSequence.Iterator(image):
        durations.append(frame.info.get("duration", 100))
        frames.append(_fit(frame.convert("RGBA")))
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        "GIF",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=image.info.get("loop", 0),
        disposal=2,
    )
    return buffer.getvalue()
