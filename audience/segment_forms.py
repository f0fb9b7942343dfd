"""The segment editor: a name, all/any, and a formset of rule rows (field, op, value),
each row checked by the rules compiler itself, so the form accepts exactly what the
engine can evaluate."""

from django import forms
from django.utils.translation import gettext_lazy as _

from workspace.forms import OwnedModelForm

from .models import Client, MailingList, Segment, Tag
from .segments import (
    ATTRIBUTE_PREFIX,
    FIELDS,
    MAX_RULES,
    MAX_VALUE_CHARS,
    Context,
    RuleError,
    operator_labels,
    rule_q,
    rules_q,
)

# A page of a million clients' custom fields would be slow to read; their names come
# from the latest few clients and from the segment's own rules.
ATTRIBUTE_SAMPLE = 200


def known_attribute_keys(owner, *, rules=()) -> list[str]:
    keys: set[str] = set()
    latest = Client.objects.owned_by(owner).order_by("-pk").values_list("attributes", flat=True)
    for attributes in latest[:ATTRIBUTE_SAMPLE]:
        if isinstance(attributes, dict):
            keys.update(str(key) for key in attributes)
    for rule in rules:
        name = rule.get("field") if isinstance(rule, dict) else None
        if isinstance(name, str) and name.startswith(ATTRIBUTE_PREFIX):
            keys.add(name.removeprefix(ATTRIBUTE_PREFIX))
    return sorted(keys)


def field_choices(owner, *, rules=()) -> list:
    fixed = [
        (name, rule_field.label) for name, rule_field in FIELDS.items() if name != "attributes"
    ]
    custom = [
        (f"{ATTRIBUTE_PREFIX}{key}", key)
        for key in known_attribute_keys(owner, rules=rules)
        if len(key) <= 64
    ]
    choices = [("", "—"), *fixed]
    if custom:
        choices.append((FIELDS["attributes"].label, custom))
    return choices


class RuleForm(forms.Form):
    # Any "attributes.<key>" is a field, not only the keys offered: the compiler judges.
    field = forms.CharField(
        label=_("Field"),
        max_length=80,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    op = forms.ChoiceField(
        label=_("Condition"),
        # Called: the rooms above register their conditions once the site has started.
        choices=lambda: [("", "—"), *operator_labels().items()],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    value = forms.CharField(
        label=_("Value"),
        required=False,
        max_length=MAX_VALUE_CHARS,
        widget=forms.TextInput(
            attrs={"class": "form-control form-control-sm", "list": "rule-values"}
        ),
    )

    def __init__(self, *args, owner, field_choices, **kwargs):
        self.owner = owner
        super().__init__(*args, **kwargs)
        self.fields["field"].widget.choices = field_choices

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        rule = self.rule()
        try:
            rule_q(rule, Context(self.owner))
        except RuleError as error:
            raise forms.ValidationError(error.message, code="rule") from None
        return cleaned

    def rule(self) -> dict:
        value = self.cleaned_data.get("value") or ""
        return {"field": self.cleaned_data["field"], "op": self.cleaned_data["op"], "value": value}


class BaseRuleFormSet(forms.BaseFormSet):
    def __init__(self, *args, owner, rules=(), **kwargs):
        self.owner = owner
        self.field_choices = field_choices(owner, rules=rules)
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {"owner": self.owner, "field_choices": self.field_choices}

    def rules(self) -> list[dict]:
        return [
            form.rule()
            for form in self.forms
            if form.cleaned_data.get("field") and not self._should_delete_form(form)
        ]

    def clean(self):
        if any(self.errors):
            return
        if not self.rules():
            raise forms.ValidationError(_("Add at least one condition."), code="empty")


RuleFormSet = forms.formset_factory(
    RuleForm,
    formset=BaseRuleFormSet,
    extra=1,
    can_delete=True,
    max_num=MAX_RULES,
    validate_max=True,
    absolute_max=MAX_RULES,
)


def rule_formset(owner, data=None, *, segment: Segment | None = None) -> BaseRuleFormSet:
    rules = segment.rules if segment is not None and isinstance(segment.rules, list) else []
    initial = [
        {"field": rule.get("field"), "op": rule.get("op"), "value": rule.get("value")}
        for rule in rules
        if isinstance(rule, dict)
    ]
    # Posted rows are judged on what they hold, never against the stored rules: a row
    # equal to its stored rule is kept, not taken for an untouched blank.
    return RuleFormSet(
        data,
        owner=owner,
        rules=rules,
        initial=None if data is not None else initial,
        prefix="rules",
    )


class SegmentForm(OwnedModelForm):
    class Meta:
        model = Segment
        fields = ["name", "match"]
        widgets = {"match": forms.RadioSelect}


def segment_count_of(owner, data) -> tuple[int | None, list[str]]:
    """The live count for a posted editor: (count, []) or (None, the errors)."""
    formset = rule_formset(owner, data)
    match = data.get("match", Segment.Match.ALL)
    if not formset.is_valid():
        errors = [str(error) for error in formset.non_form_errors()]
        for form in formset.forms:
            errors += [str(error) for errors in form.errors.values() for error in errors]
        return None, errors
    try:
        condition = rules_q(formset.rules(), match=match, owner=owner)
    except RuleError as error:
        return None, [str(error.message)]
    return Client.objects.owned_by(owner).filter(condition).count(), []


def suggestions(owner) -> dict[str, list[str]]:
    """Names the value box offers (a datalist): the owner's tags, lists and statuses."""
    return {
        "tags": list(Tag.objects.owned_by(owner).values_list("name", flat=True)[:200]),
        "lists": list(MailingList.objects.owned_by(owner).values_list("name", flat=True)[:200]),
        "statuses": Client.Status.values,
    }
