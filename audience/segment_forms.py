"""The segment editor: a name, all/any, and a formset of rule rows (field, op, value),
each row checked by the rules compiler itself, so the form accepts exactly what the
engine can evaluate."""

import dataclasses
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from workspace.forms import OwnedModelForm

from .attributes import attribute_labels, known_attribute_keys
from .models import Client, Segment
from .segments import (
    ATTRIBUTE_PREFIX,
    CHOICE_INPUT,
    DATE_INPUT,
    FIELDS,
    MAX_RULES,
    MAX_VALUE_CHARS,
    NO_INPUT,
    NUMBER_INPUT,
    Context,
    RuleError,
    RuleField,
    custom_keys,
    operator_labels,
    rule_q,
    rules_q,
)


@dataclass
class RuleEditor:
    """What the editor offers one owner, in the request's language: the fields (custom
    ones by the names the owner gave them), each one's operators, and the values to
    choose from. The page's script reads `fields` to change a row's operators and value
    box when its field changes; without the script the server renders the same."""

    owner: Any
    labels: dict[str, str]  # custom fields: key → name
    _choices: dict[str, list] = dataclasses.field(default_factory=dict)

    def rule_field(self, name: Any) -> RuleField | None:
        if not isinstance(name, str) or name == "attributes":
            return None
        if name.startswith(ATTRIBUTE_PREFIX):
            return FIELDS["attributes"] if name.removeprefix(ATTRIBUTE_PREFIX) else None
        return FIELDS.get(name)

    def field_choices(self) -> list:
        fixed = [(name, rule_field.label) for name, rule_field in FIELDS.items()]
        custom = sorted(
            ((f"{ATTRIBUTE_PREFIX}{key}", label) for key, label in self.labels.items()),
            key=lambda choice: str(choice[1]).casefold(),
        )
        choices = [("", "—"), *(choice for choice in fixed if choice[0] != "attributes")]
        if custom:
            choices.append((FIELDS["attributes"].label, custom))
        return choices

    def operator_choices(self, name: Any) -> list:
        """The operators of the field `name`; with no field chosen yet, every field's in
        its own group (the page without script then still offers them)."""
        rule_field = self.rule_field(name)
        if rule_field is not None:
            return [("", "—"), *((op, o.label) for op, o in rule_field.operators.items())]
        return [
            ("", "—"),
            *(
                (rule_field.label, [(op, o.label) for op, o in rule_field.operators.items()])
                for rule_field in FIELDS.values()
            ),
        ]

    def value_choices(self, name: str) -> list[tuple[str, str]]:
        rule_field = self.rule_field(name)
        if rule_field is None or rule_field.choices is None:
            return []
        if name not in self._choices:
            self._choices[name] = rule_field.choices(self.owner)
        return self._choices[name]

    def value_widget(self, name: Any, op: Any, value: Any) -> forms.Widget:
        rule_field = self.rule_field(name)
        operators = rule_field.operators if rule_field is not None else {}
        operator = operators.get(op) if isinstance(op, str) else None
        if operator is None and operators and not op:
            operator = next(iter(operators.values()))
        kind = operator.input if operator is not None else "text"
        small = {"class": "form-control form-control-sm"}
        if kind == CHOICE_INPUT:
            choices = self.value_choices(name)
            if isinstance(value, str) and value and value not in dict(choices):
                choices = [*choices, (value, value)]  # a stored name kept in sight
            return forms.Select(
                attrs={"class": "form-select form-select-sm"}, choices=[("", "—"), *choices]
            )
        if kind == DATE_INPUT:
            return forms.DateInput(attrs=small | {"type": "date"})
        if kind == NUMBER_INPUT:
            return forms.NumberInput(attrs=small | {"min": 1})
        if kind == NO_INPUT:
            return forms.HiddenInput()
        return forms.TextInput(attrs=small)

    def fields_json(self) -> dict[str, dict]:
        """Every field the editor offers → its operators ([name, label, input]) and the
        values to choose from: the page's script builds the rows from it."""
        names = [name for name, _label in FIELDS.items() if name != "attributes"]
        names += [f"{ATTRIBUTE_PREFIX}{key}" for key in self.labels]
        return {
            name: {
                "operators": [
                    [op, str(operator.label), operator.input]
                    for op, operator in self.rule_field(name).operators.items()
                ],
                "choices": [[value, str(label)] for value, label in self.value_choices(name)],
            }
            for name in names
        }


def rule_editor(owner, *, rules=()) -> RuleEditor:
    """The editor for `owner`'s rules; the custom fields are its clients' and those the
    rules name (a field no client has any more stays in sight)."""
    keys = {*known_attribute_keys(owner.pk), *custom_keys(list(rules))}
    return RuleEditor(owner=owner, labels=attribute_labels(owner.pk, sorted(keys)))


def field_choices(owner, *, rules=()) -> list:
    return rule_editor(owner, rules=rules).field_choices()


class RuleForm(forms.Form):
    # Any "attributes.<key>" is a field, not only the keys offered: the compiler judges.
    field = forms.CharField(
        label=_("Field"),
        max_length=80,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    # Every operator is a choice; which field takes which the compiler judges, and the
    # select offers the row's field's own.
    op = forms.ChoiceField(
        label=_("Condition"),
        # Called: the rooms above register their conditions once the site has started.
        choices=lambda: [("", "—"), *operator_labels().items()],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    value = forms.CharField(label=_("Value"), required=False, max_length=MAX_VALUE_CHARS)

    def __init__(self, *args, owner, editor: RuleEditor | None = None, **kwargs):
        self.owner = owner
        super().__init__(*args, **kwargs)
        editor = editor or rule_editor(owner)
        name, op, value = (self._shown(key) for key in ("field", "op", "value"))
        self.fields["field"].widget.choices = editor.field_choices()
        self.fields["op"].widget.choices = editor.operator_choices(name)
        self.fields["value"].widget = editor.value_widget(name, op, value)

    def _shown(self, key: str) -> Any:
        """What the row holds now: posted, or its stored rule."""
        if self.is_bound:
            return self.data.get(self.add_prefix(key))
        return self.initial.get(key)

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
        self.editor = rule_editor(owner, rules=rules)
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {"owner": self.owner, "editor": self.editor}

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
    if data is not None:
        # The custom fields the posted rows name stay offered in their selects.
        rules = [
            *rules,
            *({"field": data.get(f"rules-{row}-field")} for row in range(MAX_RULES)),
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
