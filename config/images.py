"""Uploaded images, for every room that takes them (blog covers, images in messages):
what an upload must be, and the files left behind once their row is gone."""

from pathlib import PurePath
from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from PIL import Image

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 8000
# Width × height alone can still decode to gigabytes: 40 MP is ~160 MB of RGBA.
MAX_PIXELS = 40_000_000
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
ACCEPT = "image/jpeg,image/png,image/webp,image/gif"


def check_image(upload, *, min_side: int = 1, keeps_frames: bool = False) -> str:
    """Validate an uploaded file as an image; return the extension its format calls for.
    `keeps_frames`: the caller resizes every frame of an animation, not the first alone.

    Raises ValidationError with a message that says what is wrong.
    """
    # Imported here: models and commands import this module (delete_files_on_commit)
    # and never decode an image.
    from PIL import Image

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
            _check_dimensions(width, height, min_side)
            if keeps_frames:
                _check_frames(width * height * getattr(image, "n_frames", 1))
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


def _check_dimensions(width: int, height: int, min_side: int) -> None:
    if width < min_side or height < min_side:
        raise ValidationError(
            _(
                "The image is %(width)s×%(height)s pixels; it must be at least "
                "%(min)s×%(min)s pixels."
            ),
            code="too_small",
            params={"width": width, "height": height, "min": min_side},
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


def _check_frames(pixels_in_all_frames: int) -> None:
    # An animation's frames are decoded one by one, but each is resized: a small GIF
    # of thousands of large frames is a bomb too.
    if pixels_in_all_frames > MAX_PIXELS:
        raise ValidationError(
            _("The animation has too many frames for its size (%(megapixels)s megapixels)."),
            code="too_many_frames",
            params={"megapixels": MAX_PIXELS // 1_000_000},
        )


def clean_name(name: str, extension: str) -> str:
    """A safe file name whose extension matches the real format."""
    stem = slugify(PurePath(name).stem, allow_unicode=False)[:60] or "image"
    return f"{stem}.{extension}"


def has_alpha(image: "Image.Image") -> bool:
    return image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)


def delete_files_on_commit(storage, names) -> None:
    """Remove files once the change that orphaned them is committed (a rollback keeps them)."""
    names = [name for name in names if name]

    def delete() -> None:
        for name in names:
            storage.delete(name)

    if names:
        transaction.on_commit(delete)


class CheckedImageField(forms.ImageField):
    """An image checked by `check_image` (format, size, dimensions, decodable); its name
    made safe, with the extension of its real format."""

    def __init__(self, *, min_side: int = 1, keeps_frames: bool = False, **kwargs):
        self.min_side, self.keeps_frames = min_side, keeps_frames
        super().__init__(**kwargs)

    def to_python(self, data):
        upload = forms.FileField.to_python(self, data)
        if upload is None:
            return None
        extension = check_image(upload, min_side=self.min_side, keeps_frames=self.keeps_frames)
        upload.name = clean_name(upload.name, extension)
        return upload

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "accept": ACCEPT}
