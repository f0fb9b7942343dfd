"""A client's own fields (`Client.attributes`): what a key and a value may be, and which
keys an owner's clients have (the placeholders a message may use).

Every way in (CSV columns, the client form, the API) goes through `clean_attributes`, so
a key is always a safe identifier (`[a-z0-9_]`, usable as `{{ key }}`) and a client holds
a bounded amount of it: a CSV with 500 columns is refused, not stored.
"""

import re
from collections.abc import Mapping

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext_lazy as _

from .models import Client, CustomField
from .placeholders import BUILT_IN_NAMES

MAX_FIELDS = 50
MAX_KEY_LENGTH = 40
MAX_VALUE_LENGTH = 500
# The CSV's own columns and the placeholders' built-in names, never attributes.
RESERVED_KEYS = (*BUILT_IN_NAMES, "comment", "lists", "tags")
KEY = re.compile(r"[a-z0-9_]+")
NOT_KEY_CHARACTERS = re.compile(r"[^a-z0-9]+")
# A Russian column name keeps its sound ("Город" → "gorod") instead of vanishing.
CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            *("a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n"),
            *("o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", ""),
            *("e", "yu", "ya"),
        ],
        strict=True,
    )
)
KEYS_CACHE_SECONDS = 3600
MAX_LABEL_LENGTH = CustomField._meta.get_field("label").max_length


def attribute_key(raw: str) -> str:
    """The identifier a column or field name becomes: lower case, Russian letters spelt in
    Latin ones, every other run of characters one underscore. Raises ValidationError when
    nothing usable is left or the name is one of the built-in ones."""
    spelt = "".join(CYRILLIC.get(char, char) for char in str(raw).strip().lower())
    key = NOT_KEY_CHARACTERS.sub("_", spelt).strip("_")[:MAX_KEY_LENGTH].rstrip("_")
    if not key:
        raise ValidationError(
            _("“%(name)s” cannot be a field name: use Latin or Russian letters and digits."),
            code="bad_key",
            params={"name": str(raw)[:60]},
        )
    if key in RESERVED_KEYS:
        raise ValidationError(
            _("“%(name)s” is a built-in field and cannot be a custom one."),
            code="reserved_key",
            params={"name": key},
        )
    return key


def attribute_value(raw, *, key: str) -> str:
    if not isinstance(raw, str):
        raise ValidationError(
            _("The value of “%(key)s” must be text."), code="bad_value", params={"key": key}
        )
    value = raw.strip()
    if "\x00" in value:
        raise ValidationError(
            _("The value of “%(key)s” holds a NUL character."),
            code="bad_value",
            params={"key": key},
        )
    if len(value) > MAX_VALUE_LENGTH:
        raise ValidationError(
            _("The value of “%(key)s” is longer than %(max)d characters."),
            code="long_value",
            params={"key": key, "max": MAX_VALUE_LENGTH},
        )
    return value


def too_many_fields_error(count: int) -> ValidationError:
    return ValidationError(
        _("%(count)d custom fields is too many: a client may have at most %(max)d."),
        code="too_many_fields",
        params={"count": count, "max": MAX_FIELDS},
    )


def clean_attributes(raw: Mapping) -> dict[str, str]:
    """Checked and normalised fields: keys made identifiers, values trimmed text; empty
    values dropped (a field set to nothing is no field). Raises one ValidationError
    listing every problem."""
    if not isinstance(raw, Mapping):
        raise ValidationError(_("Fields must be an object of names and text values."))
    if len(raw) > MAX_FIELDS:
        raise too_many_fields_error(len(raw))
    cleaned: dict[str, str] = {}
    problems: list[ValidationError] = []
    for raw_key, raw_value in raw.items():
        try:
            key = attribute_key(raw_key)
            if key in cleaned:
                raise ValidationError(
                    _("Two fields are both named “%(key)s”."),
                    code="duplicate_key",
                    params={"key": key},
                )
            value = attribute_value(raw_value, key=key)
        except ValidationError as error:
            problems.append(error)
            continue
        if value:
            cleaned[key] = value
    if problems:
        raise ValidationError(problems)
    return cleaned


def _keys_cache_key(owner_id: int) -> str:
    return f"audience:attribute-keys:{owner_id}"


def _keys_in_database(owner_id: int) -> list[str]:
    """Every key any of the owner's clients has, read by the database (never every row's
    fields through Python)."""
    table = connection.ops.quote_name(Client._meta.db_table)
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT DISTINCT jsonb_object_keys(attributes) FROM {table} "
            "WHERE owner_id = %s AND attributes <> '{}'::jsonb"
        )
    else:
        sql = (
            f"SELECT DISTINCT field.key FROM {table}, json_each({table}.attributes) AS field "
            f"WHERE {table}.owner_id = %s AND {table}.attributes <> '{{}}'"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [owner_id])
        return sorted(row[0] for row in cursor.fetchall() if KEY.fullmatch(row[0]))


def known_attribute_keys(owner_id: int) -> list[str]:
    """The custom fields of the owner's clients, sorted. Cached: with a million clients
    the database reads every row's fields; each write of fields forgets the cache."""
    keys = cache.get(_keys_cache_key(owner_id))
    if keys is None:
        keys = _keys_in_database(owner_id)
        cache.set(_keys_cache_key(owner_id), keys, KEYS_CACHE_SECONDS)
    return keys


def attribute_keys_changed(owner_id: int) -> None:
    """Call after writing fields of the owner's clients: the next message form sees them."""
    cache.delete(_keys_cache_key(owner_id))


def attribute_labels_of(raw: Mapping) -> dict[str, str]:
    """The names as typed behind the keys they make ({"gorod": "Город"}); names that
    make no key are left out (clean_attributes says why)."""
    labels: dict[str, str] = {}
    for name in raw if isinstance(raw, Mapping) else ():
        try:
            key = attribute_key(name)
        except ValidationError:
            continue
        label = " ".join(str(name).replace("\x00", "").split())[:MAX_LABEL_LENGTH]
        labels.setdefault(key, label or key)
    return labels


def attribute_labels_note(owner_id: int, labels: Mapping[str, str]) -> None:
    """Remember the names the owner gave new fields; a field named before keeps its
    first name (a column «город» in a later file does not rename «Город»)."""
    CustomField.objects.bulk_create(
        [CustomField(owner_id=owner_id, key=key, label=label) for key, label in labels.items()],
        ignore_conflicts=True,
    )


def attribute_labels(owner_id: int, keys=None) -> dict[str, str]:
    """Each key's name for people: the one the owner typed, or the key itself."""
    keys = known_attribute_keys(owner_id) if keys is None else list(keys)
    named = dict(
        CustomField.objects.filter(owner_id=owner_id, key__in=keys).values_list("key", "label")
    )
    return {key: named.get(key) or key for key in keys}


def attribute_label_set(*, owner_id: int, key: str, label: str) -> None:
    """Rename a field for people; its key, and so its placeholder, stays."""
    CustomField.objects.update_or_create(owner_id=owner_id, key=key, defaults={"label": label})
