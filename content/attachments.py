"""Files sent with a message: the kinds allowed, told by their content as well as their
name, and the limit on their total size."""

from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

# A whole email with its attachments must pass most mail servers' limits (10–25 MB),
# base64 adding a third.
MAX_TOTAL_BYTES = 5 * 1024 * 1024
ZIP = b"PK\x03\x04"
# Extension → (content type, how the file must begin). No executables, scripts, HTML or
# SVG: mail filters reject them, and they are how malware travels.
KINDS = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (ZIP,),
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (ZIP,)),
    "odt": ("application/vnd.oasis.opendocument.text", (ZIP,)),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", (ZIP,)),
    "txt": ("text/plain", ()),
    "csv": ("text/csv", ()),
}
ACCEPT = ",".join(f".{extension}" for extension in KINDS)


def check_attachment(upload) -> tuple[str, str, bytes]:
    """(safe name, content type, content) of an allowed file; ValidationError otherwise."""
    extension = PurePath(upload.name).suffix.lower().lstrip(".")
    if extension not in KINDS:
        raise ValidationError(
            _("“%(name)s”: attach PDF, images (PNG, JPEG, GIF), office documents or text."),
            code="kind",
            params={"name": upload.name},
        )
    if upload.size > MAX_TOTAL_BYTES:
        raise ValidationError(
            _("“%(name)s” is over 5 MB."), code="too_big", params={"name": upload.name}
        )
    upload.seek(0)
    data = upload.read()
    content_type, beginnings = KINDS[extension]
    if beginnings and not data.startswith(beginnings) or not beginnings and not _is_text(data):
        raise ValidationError(
            _("“%(name)s” is not really a .%(extension)s file."),
            code="content",
            params={"name": upload.name, "extension": extension},
        )
    stem = slugify(PurePath(upload.name).stem, allow_unicode=True)[:60] or "file"
    return f"{stem}.{extension}", content_type, data


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
