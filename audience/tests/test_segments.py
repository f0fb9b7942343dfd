"""Segment rules → a query: each field and operator, AND/OR, and bad rules refused with
a reason; Hypothesis throws arbitrary rules at the compiler."""

import datetime as dt

import pytest
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st

from accounts.tests.factories import UserFactory
from audience.models import Client, MailingList, Membership, Segment, Tag
from audience.segments import FIELDS, RuleError, rules_q
from config.tests import hostile
from mailings.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    # The reasons are read in English here; the Russian catalogue is checked elsewhere.
    with translation.override("en"):
        yield


@pytest.fixture
def people():
    owner = UserFactory(time_zone="Europe/Moscow")
    kazan = ClientFactory(
        owner=owner, email="anna@kazan.example", full_name="Анна", attributes={"city": "Казань"}
    )
    moscow = ClientFactory(
        owner=owner,
        email="boris@example.org",
        full_name="Борис",
        attributes={"city": "Москва", "plan": "pro"},
    )
    nobody = ClientFactory(owner=owner, email="vera@example.org", full_name="", attributes={})
    bounced = ClientFactory(owner=owner, email="gleb@kazan.example", status=Client.Status.BOUNCED)
    vip = Tag.objects.create(owner=owner, name="VIP")
    vip.clients.add(kazan, moscow)
    news = MailingList.objects.create(owner=owner, name="Новости")
    Membership.objects.create(client=kazan, mailing_list=news)
    Membership.objects.create(client=nobody, mailing_list=news, status="pending")
    Client.objects.filter(pk=nobody.pk).update(created_at=timezone.now() - dt.timedelta(days=40))
    # Someone else's look-alike never matches.
    ClientFactory(email="anna@kazan2.example", attributes={"city": "Казань"})
    return owner, {"kazan": kazan, "moscow": moscow, "nobody": nobody, "bounced": bounced}


def matching(owner, *rules, match="all") -> set[str]:
    condition = rules_q(list(rules), match=match, owner=owner)
    return {c.email.split("@")[0] for c in Client.objects.owned_by(owner).filter(condition)}


def rule(field, op, value=""):
    return {"field": field, "op": op, "value": value}


@pytest.mark.parametrize(
    "rules, expected",
    [
        ([rule("email", "contains", "KAZAN")], {"anna", "gleb"}),
        ([rule("email", "equals", "Boris@Example.org")], {"boris"}),
        ([rule("email", "not_equals", "boris@example.org")], {"anna", "vera", "gleb"}),
        ([rule("full_name", "is_not_set")], {"vera"}),
        ([rule("full_name", "is_set")], {"anna", "boris", "gleb"}),
        ([rule("attributes.city", "equals", "казань")], {"anna"}),
        ([rule("attributes.city", "contains", "моск")], {"boris"}),
        ([rule("attributes.plan", "is_set")], {"boris"}),
        ([rule("attributes.plan", "is_not_set")], {"anna", "vera", "gleb"}),
        ([rule("tag", "has", "vip")], {"anna", "boris"}),
        ([rule("tag", "has_not", "VIP")], {"vera", "gleb"}),
        ([rule("list", "member", "новости")], {"anna"}),
        ([rule("list", "not_member", "Новости")], {"boris", "vera", "gleb"}),
        ([rule("status", "is", "bounced")], {"gleb"}),
        ([rule("status", "is_not", "active")], {"gleb"}),
        ([rule("created_at", "within_days", "30")], {"anna", "boris", "gleb"}),
        (
            [rule("created_at", "before", str(timezone.localdate() - dt.timedelta(days=30)))],
            {"vera"},
        ),
        ([rule("created_at", "after", "2000-01-01")], {"anna", "boris", "vera", "gleb"}),
        ([rule("tag", "has", "VIP"), rule("attributes.city", "equals", "Казань")], {"anna"}),
    ],
)
def test_each_field_and_operator(people, rules, expected):
    owner, _clients = people
    assert matching(owner, *rules) == expected


def test_any_joins_with_or_and_a_client_matches_once(people):
    owner, _clients = people
    rules = [
        rule("tag", "has", "VIP"),
        rule("list", "member", "Новости"),
        rule("email", "contains", "a"),
    ]
    condition = rules_q(rules, match="any", owner=owner)
    found = list(Client.objects.owned_by(owner).filter(condition).values_list("email", flat=True))
    assert sorted(found) == sorted(set(found))
    assert {email.split("@")[0] for email in found} == {"anna", "boris", "vera", "gleb"}


@pytest.mark.parametrize(
    "rules, says",
    [
        ([], "at least one"),
        ("not a list", "at least one"),
        ([rule("phone", "equals", "1")], "no field"),
        ([rule("attributes", "equals", "1")], "no field"),
        ([rule("attributes.", "is_set")], "custom field"),
        ([rule("attributes.a'b", "is_set")], "custom field"),
        ([rule("email", "has", "x")], "operator"),
        ([rule("email", "drop table", "x")], "operator"),
        ([rule("email", "contains", "")], "value"),
        ([rule("email", "contains", "x" * 256)], "too long"),
        ([rule("email", "contains", ["x"])], "text"),
        ([rule("tag", "has", "нет такого")], "no tag"),
        ([rule("list", "member", "нет такого")], "no list"),
        ([rule("status", "is", "sleeping")], "Unknown status"),
        ([rule("created_at", "before", "31.12.2026")], "YYYY-MM-DD"),
        ([rule("created_at", "before", "0001-01-01")], "2000"),
        ([rule("created_at", "within_days", "-3")], "number of days"),
        ([rule("created_at", "within_days", "9" * 40)], "number of days"),
        ([{"field": "email"}], "operator"),
        (["email contains x"], "must name"),
        ([rule("email", "contains", "x")] * 51, "at most 50"),
    ],
)
def test_a_bad_rule_is_refused_with_a_reason(people, rules, says):
    owner, _clients = people
    with pytest.raises(RuleError) as refused:
        rules_q(rules, match="all", owner=owner)
    assert says.casefold() in str(refused.value).casefold()


def test_another_owners_tag_or_list_is_unknown(people):
    owner, _clients = people
    stranger = UserFactory()
    Tag.objects.create(owner=stranger, name="чужой")
    with pytest.raises(RuleError):
        rules_q([rule("tag", "has", "чужой")], match="all", owner=owner)


def test_an_unknown_match_is_refused(people):
    owner, _clients = people
    with pytest.raises(RuleError):
        rules_q([rule("email", "contains", "a")], match="most", owner=owner)


# Whatever the rules, never a crash, and only the owner's clients, each once.

OPS = sorted({op for rule_field in FIELDS.values() for op in rule_field.operators})
values = st.one_of(
    hostile.text,
    st.sampled_from(["VIP", "Новости", "active", "2026-01-01", "30", "Казань", ""]),
    st.integers(),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)
fields = st.one_of(
    st.sampled_from([*FIELDS, "attributes.city", "attributes.plan", "attributes.нет"]),
    st.text(max_size=80).map(lambda key: f"attributes.{key}"),
    hostile.text,
    st.integers(),
)
rules_strategy = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {"field": fields, "op": st.one_of(st.sampled_from(OPS), hostile.text), "value": values}
        ),
        st.just("garbage"),
        st.just({}),
    ),
    max_size=6,
)


def test_any_rules_give_a_reason_or_a_subset_of_the_owners_clients(people):
    owner, _clients = people
    mine = set(Client.objects.owned_by(owner).values_list("pk", flat=True))

    @given(rules=rules_strategy, match=st.sampled_from(["all", "any", "none", ""]))
    def check(rules, match):
        try:
            condition = rules_q(rules, match=match, owner=owner)
        except RuleError as error:
            assert str(error)
            return
        found = list(Client.objects.owned_by(owner).filter(condition).values_list("pk", flat=True))
        assert set(found) <= mine
        assert len(found) == len(set(found))

    check()


def test_segment_model_rules_compile_through_the_segment(people):
    from audience.segments import segment_clients

    owner, clients = people
    segment = Segment.objects.create(
        owner=owner, name="Казань", rules=[rule("attributes.city", "equals", "Казань")]
    )
    assert list(segment_clients(segment)) == [clients["kazan"]]
