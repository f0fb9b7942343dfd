"""Tokens: what we sign comes back exactly; anything else, whatever it is, is nobody's."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from content.links import Kind, Signer, Target, target_of

ids = st.integers(min_value=1, max_value=2**63 - 1)
modes = st.sampled_from(["aggregate", "recipient"])


@given(mode=modes, attempt=ids, delivery=ids, link=ids)
def test_a_token_names_what_it_was_made_for(mode, attempt, delivery, link):
    signer = Signer(attempt_id=attempt, mode=mode)
    assert target_of(signer.click_token(delivery, link), Kind.CLICK) == Target(
        Kind.CLICK, mode, attempt, delivery, link
    )
    assert target_of(signer.open_token(delivery), Kind.OPEN) == Target(
        Kind.OPEN, mode, attempt, delivery
    )


@given(
    mode=modes,
    attempt=ids,
    delivery=ids,
    link=ids,
    position=st.integers(min_value=0),
    replacement=st.characters(),
)
def test_changing_any_character_breaks_it(mode, attempt, delivery, link, position, replacement):
    token = Signer(attempt_id=attempt, mode=mode).click_token(delivery, link)
    index = position % len(token)
    changed = token[:index] + replacement + token[index + 1 :]
    if changed != token:
        assert target_of(changed, Kind.CLICK) is None


@given(mode=modes, attempt=ids, delivery=ids, link=ids, cut=st.integers(min_value=1))
def test_a_truncated_token_is_nobodys(mode, attempt, delivery, link, cut):
    token = Signer(attempt_id=attempt, mode=mode).click_token(delivery, link)
    assert target_of(token[: cut % len(token)], Kind.CLICK) is None


@given(garbage=st.text())
def test_garbage_is_nobodys(garbage):
    for kind in Kind.values:
        assert target_of(garbage, kind) is None


def test_a_rotated_key_still_verifies(settings):
    token = Signer(attempt_id=5, mode="recipient").open_token(7)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-" + "x" * 40
    assert target_of(token, Kind.OPEN) == Target(Kind.OPEN, "recipient", 5, 7)
    settings.SECRET_KEY_FALLBACKS = []
    assert target_of(token, Kind.OPEN) is None


@pytest.mark.django_db
@given(
    garbage=st.text(
        alphabet=st.characters(blacklist_characters="/?#", blacklist_categories=["Cs"]),
        min_size=1,
    )
)
def test_a_garbage_address_is_404(garbage):
    from django.test import Client

    for kind in ("l", "o"):
        assert Client().get(f"/{kind}/{garbage}/").status_code == 404
