"""Segment rules → a query over the owner's clients.

A rule is `{"field": …, "op": …, "value": …}`; `FIELDS` below is the whole vocabulary:
each field names its operators, and each operator turns a checked value into a `Q`.
Values only ever reach the database as query parameters, and relations (tags, lists)
become EXISTS subqueries, never joins, so a client matches once however many of its
tags or lists do.

A rule that names a missing field, an unknown operator, a bad value or a tag or list
the owner does not have raises `RuleError`: the form shows it beside the row, and a run
claimed with a segment that has since become invalid records it as its reason.

A new kind of condition is one more `RuleField` in `FIELDS`; the form, the live count and
the engine pick it up. The rooms above add theirs with `field_register` when the site
starts (tracking: "opened" and "clicked in the last 3 runs", from `engagement_field`).
"""

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.db.models.lookups import Contains, Exact
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from workspace.search import Casefold
from workspace.validators import EARLIEST_DATE, LATEST_DATE

from .models import Client, MailingList, Membership, Segment, Tag

MAX_RULES = 50
MAX_VALUE_CHARS = 255
MAX_DAYS = 36500
MAX_RUNS = 100
ATTRIBUTE_PREFIX = "attributes."
# A custom field's name as the import and the API accept it: letters, digits, _ and -.
ATTRIBUTE_KEY = re.compile(r"^[\w-]{1,64}$")


class RuleError(ValueError):
    """A rule that cannot be evaluated; `index` is its place in the list (None: the
    list as a whole)."""

    def __init__(self, message: str | Promise, *, index: int | None = None):
        super().__init__(str(message))
        self.message = message
        self.index = index


@dataclass(frozen=True)
class Context:
    """What a rule may look up: the owner's own tags and lists, and its time zone."""

    owner: Any

    @property
    def zone(self) -> dt.tzinfo:
        try:
            return zoneinfo.ZoneInfo(getattr(self.owner, "time_zone", "") or "UTC")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return dt.UTC


# How the editor asks for an operator's value.
TEXT_INPUT, DATE_INPUT, NUMBER_INPUT, CHOICE_INPUT = "text", "date", "number", "choice"
NO_INPUT = ""


@dataclass(frozen=True)
class Operator:
    label: Promise
    build: Callable[[str, Any, Context], Q]
    # How the raw value is checked and converted; None: the operator takes no value.
    parse: Callable[[Any, Context], Any] | None = None
    # TEXT_INPUT…NO_INPUT; CHOICE_INPUT: one of the field's `choices`.
    input: str = TEXT_INPUT


@dataclass(frozen=True)
class RuleField:
    label: Promise
    operators: dict[str, Operator] = field(default_factory=dict)
    # The values to choose from, (value, label) in the user's language, for an owner.
    choices: Callable[[Any], list[tuple[str, str]]] | None = None


# Values


def _text(value: Any, context: Context) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise RuleError(_("Enter a text value."))
    text = str(value).replace("\x00", "").strip()
    if not text:
        raise RuleError(_("Enter a value."))
    if len(text) > MAX_VALUE_CHARS:
        raise RuleError(_("The value is too long (at most 255 characters)."))
    return text


def _date(value: Any, context: Context) -> dt.datetime:
    """A day (YYYY-MM-DD) → its first moment in the owner's time zone."""
    try:
        day = dt.date.fromisoformat(_text(value, context))
    except ValueError:
        raise RuleError(_("Enter a date as YYYY-MM-DD.")) from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise RuleError(_("Choose a date from 2000 to 2099."))
    return dt.datetime.combine(day, dt.time.min, tzinfo=context.zone)


def _days(value: Any, context: Context) -> int:
    text = _text(value, context)
    if not text.isdigit() or not 1 <= int(text) <= MAX_DAYS:
        raise RuleError(_("Enter a number of days from 1 to 36500."))
    return int(text)


def _runs(value: Any, context: Context) -> int:
    text = _text(value, context)
    if not text.isdigit() or not 1 <= int(text) <= MAX_RUNS:
        raise RuleError(_("Enter a number of runs from 1 to 100."))
    return int(text)


def _status(value: Any, context: Context) -> str:
    text = _text(value, context).casefold()
    for status, label in Client.Status.choices:
        if text in (status, str(label).casefold()):
            return status
    raise RuleError(
        _("Unknown status; choose one of: %(statuses)s.")
        % {"statuses": ", ".join(str(label) for label in Client.Status.labels)}
    )


def _status_choices(owner) -> list[tuple[str, str]]:
    return [(status, str(label)) for status, label in Client.Status.choices]


# The editor's selects name up to this many tags or lists (a name typed in the rule
# itself still works beyond them).
MAX_CHOICES = 500


def _names_of(model) -> Callable[[Any], list[tuple[str, str]]]:
    def choices(owner) -> list[tuple[str, str]]:
        names = model.objects.owned_by(owner).order_by("name").values_list("name", flat=True)
        return [(name, name) for name in names[:MAX_CHOICES]]

    return choices


def _named(name: str) -> Q:
    return Q(Exact(Casefold("name"), name.casefold()))


def _tag(value: Any, context: Context) -> int:
    name = _text(value, context)
    tag = Tag.objects.owned_by(context.owner).filter(_named(name)).values("pk").first()
    if tag is None:
        raise RuleError(_("You have no tag named “%(name)s”.") % {"name": name})
    return tag["pk"]


def _list(value: Any, context: Context) -> int:
    name = _text(value, context)
    found = MailingList.objects.owned_by(context.owner).filter(_named(name)).values("pk").first()
    if found is None:
        raise RuleError(_("You have no list named “%(name)s”.") % {"name": name})
    return found["pk"]


# Conditions


def _attribute(key: str) -> KeyTextTransform:
    return KeyTextTransform(key.removeprefix(ATTRIBUTE_PREFIX), "attributes")


def _is_set(name: str) -> Q:
    if name.startswith(ATTRIBUTE_PREFIX):
        key = name.removeprefix(ATTRIBUTE_PREFIX)
        return Q(attributes__has_key=key) & ~Q(Exact(Cast(_attribute(key), TextField()), ""))
    return ~Q(**{name: ""})


def _has_tag(name: str, tag_id: int, context: Context) -> Q:
    return Q(Exists(Tag.clients.through.objects.filter(client_id=OuterRef("pk"), tag_id=tag_id)))


def _on_list(name: str, list_id: int, context: Context) -> Q:
    return Q(
        Exists(
            Membership.objects.subscribed().filter(
                client_id=OuterRef("pk"), mailing_list_id=list_id
            )
        )
    )


def engagement_field(label: Promise, engaged: Callable[[Any, int], Any]) -> RuleField:
    """A condition on what clients did with the owner's latest runs: `engaged(owner,
    runs)` gives the clients who did it, as a queryset."""

    def did(name: str, runs: int, context: Context) -> Q:
        return Q(pk__in=engaged(context.owner, runs).values("pk"))

    return RuleField(
        label,
        {
            "in_last_runs": Operator(_("in the last N runs"), did, _runs, NUMBER_INPUT),
            "not_in_last_runs": Operator(
                _("not in the last N runs"), lambda *args: ~did(*args), _runs, NUMBER_INPUT
            ),
        },
    )


def _text_operators(*, attribute: bool) -> dict[str, Operator]:
    """Case-insensitive, Cyrillic included (SQLite's own LIKE folds ASCII only)."""

    def folded(name: str) -> Casefold:
        return Casefold(Cast(_attribute(name), TextField()) if attribute else name)

    def equals(name, value, context):
        return Q(Exact(folded(name), value.casefold()))

    def contains(name, value, context):
        return Q(Contains(folded(name), value.casefold()))

    return {
        "equals": Operator(_("is"), equals, _text),
        "not_equals": Operator(_("is not"), lambda *args: ~equals(*args), _text),
        "contains": Operator(_("contains"), contains, _text),
        "is_set": Operator(
            _("is filled in"), lambda name, value, context: _is_set(name), input=NO_INPUT
        ),
        "is_not_set": Operator(
            _("is empty"), lambda name, value, context: ~_is_set(name), input=NO_INPUT
        ),
    }


TEXT = _text_operators(attribute=False)

FIELDS: dict[str, RuleField] = {
    "email": RuleField(_("Email"), TEXT),
    "full_name": RuleField(_("Full name"), TEXT),
    # Stands for every "attributes.<key>": the owner's custom fields.
    "attributes": RuleField(_("Custom field"), _text_operators(attribute=True)),
    "tag": RuleField(
        _("Tag"),
        {
            "has": Operator(_("has"), _has_tag, _tag, CHOICE_INPUT),
            "has_not": Operator(_("has not"), lambda *a: ~_has_tag(*a), _tag, CHOICE_INPUT),
        },
        _names_of(Tag),
    ),
    "list": RuleField(
        _("List"),
        {
            "member": Operator(_("is subscribed to"), _on_list, _list, CHOICE_INPUT),
            "not_member": Operator(
                _("is not subscribed to"), lambda *a: ~_on_list(*a), _list, CHOICE_INPUT
            ),
        },
        _names_of(MailingList),
    ),
    "status": RuleField(
        _("Status"),
        {
            "is": Operator(_("is"), lambda name, value, c: Q(status=value), _status, CHOICE_INPUT),
            "is_not": Operator(
                _("is not"), lambda name, value, c: ~Q(status=value), _status, CHOICE_INPUT
            ),
        },
        _status_choices,
    ),
    "created_at": RuleField(
        _("Added"),
        {
            "before": Operator(
                _("before"), lambda name, day, c: Q(created_at__lt=day), _date, DATE_INPUT
            ),
            "after": Operator(
                _("after"),
                lambda name, day, c: Q(created_at__gte=day + dt.timedelta(days=1)),
                _date,
                DATE_INPUT,
            ),
            "within_days": Operator(
                _("in the last N days"),
                lambda name, days, c: Q(created_at__gte=timezone.now() - dt.timedelta(days=days)),
                _days,
                NUMBER_INPUT,
            ),
        },
    ),
}


def field_register(name: str, rule_field: RuleField, *, before: str) -> None:
    """Add a kind of condition kept by a room above (from its AppConfig.ready), offered
    just before the field `before`. Registering a name again replaces it."""
    entries = [(key, value) for key, value in FIELDS.items() if key != name]
    at = next(index for index, (key, _value) in enumerate(entries) if key == before)
    entries.insert(at, (name, rule_field))
    FIELDS.clear()
    FIELDS.update(entries)


def operator_labels() -> dict[str, Promise]:
    return {
        op: operator.label
        for rule_field in FIELDS.values()
        for op, operator in rule_field.operators.items()
    }


def field_of(name: Any) -> RuleField:
    """The vocabulary entry for a rule's field name ("email", "attributes.city", …)."""
    if not isinstance(name, str):
        raise RuleError(_("Choose a field."))
    if name.startswith(ATTRIBUTE_PREFIX):
        if not ATTRIBUTE_KEY.match(name.removeprefix(ATTRIBUTE_PREFIX)):
            raise RuleError(
                _("A custom field's name has letters, digits, _ and - only (up to 64).")
            )
        return FIELDS["attributes"]
    if name == "attributes" or name not in FIELDS:
        raise RuleError(_("There is no field “%(name)s”.") % {"name": str(name)[:64]})
    return FIELDS[name]


def custom_keys(rules: Any) -> list[str]:
    """The custom fields' keys the rules name (well-formed ones), in order, once each."""
    keys: dict[str, None] = {}
    for rule in rules if isinstance(rules, list) else ():
        name = rule.get("field") if isinstance(rule, dict) else None
        key = name.removeprefix(ATTRIBUTE_PREFIX) if isinstance(name, str) else ""
        if name != key and ATTRIBUTE_KEY.match(key):
            keys[key] = None
    return list(keys)


def rule_q(rule: Any, context: Context) -> Q:
    if not isinstance(rule, dict):
        raise RuleError(_("A condition must name a field, an operator and a value."))
    name = rule.get("field")
    rule_field = field_of(name)
    operator = rule_field.operators.get(rule.get("op")) if isinstance(rule.get("op"), str) else None
    if operator is None:
        raise RuleError(
            _("This operator cannot be used with the field “%(field)s”; it takes: %(operators)s.")
            % {
                "field": field_name(name, rule_field),
                "operators": ", ".join(f"“{op.label}”" for op in rule_field.operators.values()),
            }
        )
    value = operator.parse(rule.get("value"), context) if operator.parse else None
    return operator.build(name, value, context)


def rules_q(rules: Any, *, match: str, owner) -> Q:
    """The condition a client of `owner` meets to be in the segment. Raises RuleError."""
    if not isinstance(rules, list) or not rules:
        raise RuleError(_("A segment needs at least one condition."))
    if len(rules) > MAX_RULES:
        raise RuleError(_("A segment has at most 50 conditions."))
    if match not in Segment.Match.values:
        raise RuleError(_("Choose whether all conditions or any must hold."))
    context = Context(owner)
    combined = Q()
    for index, rule in enumerate(rules):
        try:
            condition = rule_q(rule, context)
        except RuleError as error:
            error.index = index
            raise
        combined = combined & condition if match == Segment.Match.ALL else combined | condition
    return combined


def segment_q(segment: Segment) -> Q:
    return rules_q(segment.rules, match=segment.match, owner=segment.owner)


def segment_clients(segment: Segment):
    """Every client of the segment's owner that matches, whatever its status."""
    return Client.objects.owned_by(segment.owner_id).filter(segment_q(segment))


def field_name(name: str, rule_field: RuleField, labels: dict[str, str] | None = None) -> str:
    """A rule's field as people read it: "Status", or a custom field's own name."""
    if name.startswith(ATTRIBUTE_PREFIX):
        key = name.removeprefix(ATTRIBUTE_PREFIX)
        return (labels or {}).get(key) or key
    return str(rule_field.label)


def rule_text(rule: Any, *, labels: dict[str, str] | None = None) -> str:
    """One rule as the segment page shows it: "Tag has vip", "Город is Казань",
    "Status is Active" (`labels`: custom fields' names by key)."""
    if not isinstance(rule, dict):
        return "?"
    name, op, value = rule.get("field"), rule.get("op"), rule.get("value")
    try:
        rule_field = field_of(name)
    except RuleError:
        return " ".join(str(part) for part in (name, op, value) if part not in (None, ""))
    operator = rule_field.operators.get(op) if isinstance(op, str) else None
    if rule_field.choices is _status_choices and isinstance(value, str):
        value = dict(_status_choices(None)).get(value, value)
    parts = (field_name(name, rule_field, labels), operator.label if operator else op, value)
    return " ".join(str(part) for part in parts if part not in (None, ""))
