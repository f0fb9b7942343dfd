"""Tracking's conditions reach the segment editor through audience's registry: offered in
their place, with their operators named, though audience never imports tracking."""

import pytest

from audience.segment_forms import RuleForm, field_choices

pytestmark = pytest.mark.django_db


def test_the_editor_offers_opened_and_clicked_before_added(owner):
    names = [name for name, _label in field_choices(owner) if isinstance(name, str)]
    assert names.index("status") < names.index("opened") < names.index("clicked")
    assert names.index("clicked") < names.index("created_at")

    form = RuleForm(
        {"field": "clicked", "op": "in_last_runs", "value": "3"},
        owner=owner,
        field_choices=field_choices(owner),
    )
    assert form.is_valid(), form.errors
    assert "in_last_runs" in dict(form.fields["op"].choices)
