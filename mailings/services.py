"""Writes that span many rows or objects: clients upserted in bulk (the pages' single-row
writes go through forms), a message or a mailing duplicated in one click, and an image
uploaded for messages."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from audience.attributes import (
    MAX_FIELDS,
    attribute_keys_changed,
    clean_attributes,
    too_many_fields_error,
)
from audience.models import Client
from audience.suppressions import clients_hold

from .csv_files import (
    BATCH_SIZE,
    EMAIL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    _update_attributes,
    _update_names,
)
from .images import email_version
from .models import Message, MessageAttachment, MessageImage

UPSERT_FIELDS = ("email", "full_name", "comment")


class ClientRowsInvalid(Exception):
    """Some rows were refused; nothing was written. `errors`: row index → field → messages."""

    def __init__(self, errors: dict[int, dict[str, list[str]]]):
        super().__init__(errors)
        self.errors = errors


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Of `created`: addresses on the owner's suppression list, created with its status.
    suppressed: int = 0


def _row_errors(row, index: int, seen: dict[str, int]) -> dict[str, list[str]]:
    if not isinstance(row, dict):
        return {"non_field_errors": [_("Each client is an object with an email.")]}
    errors: dict[str, list[str]] = {}
    for name in UPSERT_FIELDS:
        value = row.get(name)
        if value is not None and not isinstance(value, str):
            errors[name] = [_("Not a valid string.")]
        elif isinstance(value, str) and "\x00" in value:
            errors[name] = [_("Null characters are not allowed.")]
    if errors:
        return errors
    email = (row.get("email") or "").strip()
    if not email:
        return {"email": [_("The email is missing.")]}
    try:
        if len(email) > EMAIL_MAX_LENGTH:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        return {"email": [_("This is not a valid email address.")]}
    if len(row.get("full_name") or "") > NAME_MAX_LENGTH:
        message = _("The name is longer than %(max)d characters.") % {"max": NAME_MAX_LENGTH}
        return {"full_name": [message]}
    if row.get("attributes") is not None:
        try:
            row["attributes"] = clean_attributes(row["attributes"])
        except ValidationError as error:
            return {"attributes": error.messages}
    key = email.lower()
    if key in seen:
        return {"email": [_("The same email as client %(index)d.") % {"index": seen[key]}]}
    seen[key] = index
    return {}


@transaction.atomic
def clients_upsert(*, owner, rows: list) -> UpsertResult:
    """Add the owner's new clients and update existing ones (matched by email, any case)
    in a few statements; every row is checked first and one bad row writes nothing.

    A field a row leaves out keeps its value; unsubscribed clients stay unsubscribed,
    and a new client whose address is on the owner's suppression list gets its status.
    """
    seen: dict[str, int] = {}
    errors = {
        index: problems
        for index, row in enumerate(rows)
        if (problems := _row_errors(row, index, seen))
    }
    if errors:
        raise ClientRowsInvalid(errors)

    existing: dict[str, tuple[int, str, str, dict]] = {}
    keys = list(seen)
    for start in range(0, len(keys), BATCH_SIZE):
        found = (
            Client.objects.owned_by(owner)
            .annotate(key=Lower("email"))
            .filter(key__in=keys[start : start + BATCH_SIZE])
            .values_list("key", "pk", "full_name", "comment", "attributes")
        )
        existing.update((key, (pk, *values)) for key, pk, *values in found)

    result = UpsertResult()
    to_create: list[Client] = []
    to_update: list[tuple[str, str, int]] = []
    to_update_attributes: list[tuple[dict, int]] = []
    for index, row in enumerate(rows):
        email = row["email"].strip()
        full_name, comment = row.get("full_name"), row.get("comment")
        # As in a CSV import: the fields a row names are set, the client's others kept.
        attributes = row.get("attributes") or {}
        if email.lower() in existing:
            pk, old_name, old_comment, old_attributes = existing[email.lower()]
            new_name = old_name if full_name is None else full_name.strip()
            new_comment = old_comment if comment is None else comment
            new_attributes = {**old_attributes, **attributes}
            if len(new_attributes) > MAX_FIELDS:
                error = too_many_fields_error(len(new_attributes))
                raise ClientRowsInvalid({index: {"attributes": error.messages}})
            if (new_name, new_comment, new_attributes) == (old_name, old_comment, old_attributes):
                result.unchanged += 1
            if (new_name, new_comment) != (old_name, old_comment):
                to_update.append((new_name, new_comment, pk))
            if new_attributes != old_attributes:
                to_update_attributes.append((new_attributes, pk))
        else:
            to_create.append(
                Client(
                    owner=owner,
                    email=email,
                    full_name=(full_name or "").strip(),
                    comment=comment or "",
                    attributes=attributes,
                )
            )
    result.suppressed = clients_hold(owner_id=owner.pk, clients=to_create)
    Client.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    now = timezone.now()
    _update_names(to_update, now=now)
    _update_attributes(to_update_attributes, now=now)
    if any(row.get("attributes") for row in rows):
        attribute_keys_changed(owner.pk)
    updated = {pk for *_values, pk in to_update} | {pk for _values, pk in to_update_attributes}
    result.created, result.updated = len(to_create), len(updated)
    return result


@transaction.atomic
def message_duplicate(*, message: Message) -> Message:
    """A copy with the same subject, body, format and attachments (the subject is what
    recipients see, so it is not marked; the copy is told apart by being the newest)."""
    copy = Message.objects.create(
        owner=message.owner, subject=message.subject, body=message.body, format=message.format
    )
    MessageAttachment.objects.bulk_create(
        MessageAttachment(
            message=copy,
            name=attachment.name,
            content_type=attachment.content_type,
            data=attachment.data,
            size=attachment.size,
        )
        for attachment in message.attachments.all()
    )
    return copy


def message_image_create(*, owner, upload) -> MessageImage:
    """Store a checked upload (config.images.CheckedImageField) as emails show it."""
    version = email_version(upload)
    picture = MessageImage(owner=owner, name=upload.name[:100])
    # A named file: the image field reads its width and height from it.
    picture.image.save(version.name, version, save=False)
    try:
        picture.save()
    except BaseException:
        picture.image.storage.delete(picture.image.name)  # no file without its row
        raise
    return picture


def body_with_image(body: str, body_format: str, picture: MessageImage) -> str:
    """The body with the image at its end, where the owner can move it."""
    snippet = picture.html if body_format == Message.Format.HTML else picture.markdown
    return f"{body.rstrip()}\n\n{snippet}\n" if body.strip() else f"{snippet}\n"
