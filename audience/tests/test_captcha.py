"""ALTCHA on a list's form: the server's side, with challenges really solved here."""

import base64
import json

import altcha
import pytest
from django.core import mail
from django.test import Client as HttpClient
from hypothesis import given
from hypothesis import strategies as st

from audience.captcha import solution_accepted
from audience.models import Client

from .signup import list_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cheap_work(settings):
    # The browser's work (5,000 PBKDF2 rounds a try) takes seconds in Python: a test
    # solves the same kind of challenge with fewer rounds.
    settings.SUBSCRIBE_CAPTCHA_COST = 50


def solved(visitor, mailing_list) -> str:
    """What the widget posts: the list's challenge, fetched and solved."""
    response = visitor.get(f"/subscribe/{mailing_list.token}/challenge/")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    challenge = altcha.Challenge.from_dict(response.json())
    solution = altcha.solve_challenge(challenge, timeout=30)
    assert solution is not None
    return altcha.Payload(challenge, solution).to_base64()


def post(visitor, mailing_list, **data):
    return visitor.post(
        f"/subscribe/{mailing_list.token}/", {"email": "anna@example.org", "full_name": "", **data}
    )


def test_a_list_without_the_check_has_no_challenge_and_no_widget():
    mailing_list = list_of()
    visitor = HttpClient()
    assert visitor.get(f"/subscribe/{mailing_list.token}/challenge/").status_code == 404
    assert "altcha-widget" not in visitor.get(f"/subscribe/{mailing_list.token}/").content.decode()


def test_the_widget_comes_from_our_static_files():
    mailing_list = list_of(captcha=True)
    page = HttpClient().get(f"/subscribe/{mailing_list.token}/").content.decode()
    assert "<altcha-widget" in page
    assert '<script src="/static/audience/altcha/altcha.min.js"></script>' in page
    assert 'data-worker="/static/audience/altcha/pbkdf2-worker.js"' in page
    assert "https://" not in page.split("<main", 1)[1]


def test_without_a_solution_the_form_comes_back_and_nothing_is_kept():
    mailing_list = list_of(captcha=True)
    response = post(HttpClient(), mailing_list)
    assert response.status_code == 200
    assert "altcha" in response.context["form"].errors
    assert not Client.objects.exists()
    assert mail.outbox == []


def test_a_solved_challenge_is_accepted_once():
    mailing_list = list_of(captcha=True)
    visitor = HttpClient()
    payload = solved(visitor, mailing_list)

    response = post(visitor, mailing_list, altcha=payload)
    assert 'data-outcome="received"' in response.content.decode()
    assert Client.objects.count() == 1

    replayed = post(visitor, mailing_list, altcha=payload, email="bot@example.org")
    assert "altcha" in replayed.context["form"].errors
    assert Client.objects.count() == 1


def test_the_setting_asks_every_list(settings):
    settings.SUBSCRIBE_CAPTCHA = True
    mailing_list = list_of()
    visitor = HttpClient()
    assert "altcha" in post(visitor, mailing_list).context["form"].errors
    post(visitor, mailing_list, altcha=solved(visitor, mailing_list))
    assert Client.objects.count() == 1


def test_a_forged_or_wrong_solution_is_refused():
    mailing_list = list_of(captcha=True)
    visitor = HttpClient()
    payload = json.loads(base64.b64decode(solved(visitor, mailing_list)))

    wrong = {**payload, "solution": {**payload["solution"], "counter": 10**6}}
    cheaper = json.loads(json.dumps(payload))
    cheaper["challenge"]["parameters"]["cost"] = 1
    unsigned = {**payload, "challenge": {"parameters": payload["challenge"]["parameters"]}}
    for forged in (wrong, cheaper, unsigned):
        assert not solution_accepted(base64.b64encode(json.dumps(forged).encode()).decode())
    foreign = altcha.create_challenge(algorithm="SHA-256", cost=1, hmac_secret="not ours")
    foreign_payload = altcha.Payload(foreign, altcha.solve_challenge(foreign)).to_base64()
    assert not solution_accepted(foreign_payload)


@given(
    payload=st.one_of(
        st.text(max_size=300),
        st.binary(max_size=300).map(lambda raw: base64.b64encode(raw).decode()),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner),
            max_leaves=10,
        ).map(lambda value: base64.b64encode(json.dumps(value).encode()).decode()),
    )
)
def test_no_payload_breaks_the_check(payload):
    assert solution_accepted(payload) is False
