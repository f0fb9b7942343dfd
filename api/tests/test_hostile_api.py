"""Never a 5xx from the API: generated and hostile JSON bodies, query parameters and
path ids on every endpoint, as every kind of caller (the JSON counterpart of
config/tests/test_hostile_input.py, whose table posts form data).

Every answer below 500; every refusal a problem document that says why; a refused
write leaves the tables as they were.
"""

from dataclasses import dataclass, field

import pytest
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from api.tests.conftest import bearer
from audience.models import Client, ConsentRecord, MailingList, Membership, Segment, Tag
from config.tests import hostile
from content.models import Message
from mailings.models import Mailing

CALLERS = ("owner", "other user", "manager", "read-only", "anonymous")
OMIT = object()

# Any JSON at all, where a field expects one kind of value.
json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from([2**63, -(2**63) - 1, 10**40]),
        st.floats(allow_nan=False, allow_infinity=False),  # JSON has neither
        hostile.hostile_text,
    ),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


def kind(strategy):
    return st.one_of(strategy, json_values)


def ref(name: str):
    return kind(st.sampled_from([f"{{{name}}}", f"{{stranger_{name}}}"]))


CLIENT = {
    "email": kind(hostile.emails),
    "full_name": kind(hostile.text),
    "comment": kind(hostile.text),
    "attributes": kind(st.dictionaries(hostile.hostile_text, hostile.text, max_size=4)),
    "tags": kind(st.lists(hostile.hostile_text, max_size=4)),
}
MESSAGE = {"subject": kind(hostile.text), "body": kind(hostile.text)}
MAILING = {
    "message": ref("message"),
    "clients": st.one_of(st.lists(ref("client"), max_size=3), json_values),
    "all_subscribed": kind(st.booleans()),
    "start_at": kind(hostile.datetimes),
    "end_at": kind(hostile.datetimes),
    "periodicity": kind(hostile.choice("once", "daily", "weekly", "monthly")),
    "tracking": kind(hostile.choice("", "off", "aggregate", "recipient")),
    "lists": st.one_of(st.lists(ref("list"), max_size=3), json_values),
    "segment": ref("segment"),
    "all_clients": kind(st.booleans()),
}
MAILING_VALID = {
    "message": "{message}",
    "clients": ["{client}"],
    "start_at": "2031-06-01T09:00:00Z",
    "end_at": "2031-07-01T09:00:00Z",
    "periodicity": "daily",
}
AUDIENCE_LIST = {
    "name": kind(hostile.text),
    "description": kind(hostile.text),
    "double_opt_in": kind(st.booleans()),
    "language": kind(hostile.choice("ru", "en")),
    "captcha": kind(st.booleans()),
}
MEMBERS = {"clients": st.one_of(st.lists(ref("client"), max_size=3), json_values)}
TAG = {"name": kind(hostile.text)}
RULE = st.fixed_dictionaries(
    {
        "field": kind(hostile.choice("email", "tag", "list", "status", "attributes.city")),
        "op": kind(hostile.choice("contains", "has", "member", "is", "within_days")),
        "value": kind(hostile.text),
    }
)
SEGMENT = {
    "name": kind(hostile.text),
    "match": kind(hostile.choice("all", "any")),
    "rules": st.one_of(st.lists(RULE, max_size=3), json_values),
}
SEGMENT_VALID = {"name": "S", "rules": [{"field": "status", "op": "is", "value": "active"}]}
BULK = {"clients": st.one_of(st.lists(st.fixed_dictionaries(CLIENT), max_size=4), json_values)}
LIST = {"cursor": hostile.text, "page_size": hostile.integers}


@dataclass(frozen=True)
class Endpoint:
    url: str
    method: str = "get"
    fields: dict = field(default_factory=dict)
    valid: dict = field(default_factory=dict)


ENDPOINTS = [
    Endpoint(
        "/api/v1/clients/",
        fields={
            **LIST,
            "email": hostile.text,
            "updated_since": hostile.datetimes,
            "unsubscribed": hostile.flags,
            "list": hostile.integers,
            "tag": hostile.integers,
        },
    ),
    Endpoint("/api/v1/clients/", "post", CLIENT, {"email": "new@example.org"}),
    Endpoint("/api/v1/clients/bulk/", "post", BULK, {"clients": [{"email": "b@example.org"}]}),
    Endpoint("/api/v1/clients/{client}/"),
    Endpoint("/api/v1/clients/{client}/", "patch", CLIENT),
    Endpoint("/api/v1/clients/{client}/", "put", CLIENT, {"email": "put@example.org"}),
    Endpoint("/api/v1/clients/{client}/", "delete"),
    Endpoint("/api/v1/lists/", fields=LIST),
    Endpoint("/api/v1/lists/", "post", AUDIENCE_LIST, {"name": "Новости"}),
    Endpoint("/api/v1/lists/{list}/"),
    Endpoint("/api/v1/lists/{list}/", "patch", AUDIENCE_LIST),
    Endpoint("/api/v1/lists/{list}/", "put", AUDIENCE_LIST, {"name": "Другие"}),
    Endpoint("/api/v1/lists/{list}/", "delete"),
    Endpoint("/api/v1/lists/{list}/members/", "post", MEMBERS, {"clients": ["{client}"]}),
    Endpoint("/api/v1/lists/{list}/members/remove/", "post", MEMBERS, {"clients": ["{client}"]}),
    Endpoint("/api/v1/tags/", fields=LIST),
    Endpoint("/api/v1/tags/", "post", TAG, {"name": "vip"}),
    Endpoint("/api/v1/tags/{tag}/", "delete"),
    Endpoint("/api/v1/segments/", fields=LIST),
    Endpoint("/api/v1/segments/", "post", SEGMENT, SEGMENT_VALID),
    Endpoint("/api/v1/segments/{segment}/"),
    Endpoint("/api/v1/segments/{segment}/", "patch", SEGMENT),
    Endpoint("/api/v1/segments/{segment}/", "put", SEGMENT, SEGMENT_VALID),
    Endpoint("/api/v1/segments/{segment}/", "delete"),
    Endpoint("/api/v1/messages/", fields=LIST),
    Endpoint("/api/v1/messages/", "post", MESSAGE, {"subject": "s", "body": "b"}),
    Endpoint("/api/v1/messages/{message}/", "patch", MESSAGE),
    Endpoint("/api/v1/messages/{message}/", "delete"),
    Endpoint("/api/v1/messages/{message}/duplicate/", "post"),
    Endpoint("/api/v1/mailings/", fields={**LIST, "status": hostile.text}),
    Endpoint("/api/v1/mailings/", "post", MAILING, MAILING_VALID),
    Endpoint("/api/v1/mailings/{mailing}/", "patch", MAILING),
    Endpoint("/api/v1/mailings/{mailing}/", "put", MAILING, MAILING_VALID),
    Endpoint("/api/v1/mailings/{mailing}/send/", "post"),
    Endpoint("/api/v1/mailings/{mailing}/disable/", "post"),
    Endpoint("/api/v1/mailings/{mailing}/duplicate/", "post"),
    Endpoint(
        "/api/v1/attempts/", fields={**LIST, "mailing": hostile.integers, "status": hostile.text}
    ),
    Endpoint("/api/v1/attempts/{attempt}/deliveries/", fields={**LIST, "status": hostile.text}),
    Endpoint("/api/v1/attempts/{attempt}/links/"),
    Endpoint(
        "/api/v1/reports/totals/",
        fields={
            "date_from": hostile.dates,
            "date_to": hostile.dates,
            "mailing": hostile.integers,
            "status": hostile.text,
        },
    ),
    Endpoint("/api/v1/suppressions/", fields={**LIST, "status": hostile.text}),
    Endpoint("/api/v1/suppressions/{suppression}/"),
    Endpoint("/api/v1/suppressions/{suppression}/reactivate/", "post"),
]

path_values = st.one_of(
    st.just(None), st.sampled_from(["0", "-1", str(2**63), hostile.HUGE, "%00", "x" * 5000])
)


def fill(value, world):
    if isinstance(value, list):
        return [fill(item, world) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, world) for key, item in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return world.get(value[1:-1], value)
    return value


def submissions(endpoint: Endpoint):
    return st.fixed_dictionaries(
        {
            name: st.one_of(
                *([st.just(endpoint.valid[name])] if name in endpoint.valid else []),
                strategy,
                st.just(OMIT),
            )
            for name, strategy in endpoint.fields.items()
        }
    ).map(lambda data: {name: value for name, value in data.items() if value is not OMIT})


def tables():
    models = (Client, Message, Mailing, MailingList, Membership, ConsentRecord, Tag, Segment)
    return tuple(model.objects.count() for model in models)


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[f"{e.method} {e.url}" for e in ENDPOINTS])
def test_no_input_breaks_the_api(endpoint, world):
    placeholders = [part[1:-1] for part in endpoint.url.split("/") if part.startswith("{")]

    @given(
        caller=st.sampled_from(CALLERS),
        data=submissions(endpoint),
        path_value=path_values if placeholders else st.just(None),
        raw=st.one_of(st.none(), st.sampled_from([b"{", b"[]", b"null", b"\xff\xfe", b'"x"'])),
    )
    def run(caller, data, path_value, raw):
        values = dict(world)
        if path_value is not None:
            values.update(dict.fromkeys(placeholders, path_value))
        url = endpoint.url.format_map(values)
        with transaction.atomic():
            before = tables()
            api = bearer(world["tokens"][caller])
            body = fill(data, world)
            if endpoint.method == "get":
                response = api.get(url, {k: v for k, v in body.items() if isinstance(v, str)})
            elif raw is not None:
                response = api.generic(
                    endpoint.method.upper(), url, raw, content_type="application/json"
                )
            else:
                response = getattr(api, endpoint.method)(url, body, format="json")
            assert response.status_code < 500, response.content[:300]
            if response.status_code >= 400:
                assert response["Content-Type"] == "application/problem+json"
                problem = response.json()
                assert problem["status"] == response.status_code and problem["detail"]
                if endpoint.method != "delete":
                    assert tables() == before, "a refused request wrote something"
            transaction.set_rollback(True)

    run()
