"""The requester's change form, posted through the view: hostile text, windows and host names never give a 500.

Every example ends one of two ways: the change is saved and each text field reads back exactly as typed (less
the surrounding whitespace Django's form fields strip), or the form comes back with field errors (400).
"""

import re
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from hypothesis import event, given
from hypothesis import strategies as st

from apps.changes.models import Change
from tests.factories import HostFactory, environment
from tests.fuzz.strategies import FUZZ, odd_text

CREATE = reverse("changes:change_create")
TEXT_FIELDS = ["title", "summary", "implementation_plan", "test_plan", "backout_plan", "artifact"]
KNOWN_HOSTS = ["web01", "web02.prod", "db-01"]

local_minutes = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(
    lambda moment: moment.isoformat(timespec="minutes")
)
sane_start = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2100, 1, 1))
sane_window = st.tuples(sane_start, st.integers(min_value=-120, max_value=24 * 60 * 20)).map(
    lambda pair: (
        pair[0].isoformat(timespec="minutes"),
        (pair[0] + timedelta(minutes=pair[1])).isoformat(timespec="minutes"),
    )
)
any_window = st.one_of(
    sane_window,
    st.tuples(local_minutes, local_minutes),
    st.tuples(odd_text, odd_text),
    st.tuples(st.sampled_from(["", "0000-00-00T00:00", "2026-02-30T10:00", "2026-13-01", "now", "9" * 40]), odd_text),
)
host_name = st.one_of(st.sampled_from(KNOWN_HOSTS), st.sampled_from([name.upper() for name in KNOWN_HOSTS]), odd_text)


@pytest.fixture
def as_requester(login, requester):
    for name in KNOWN_HOSTS:
        HostFactory(hostname=name)
    return login(requester)


MAX_LENGTHS = {"title": 200, "artifact": 200}


def _legitimate_refusal(name: str, text: str) -> bool:
    cleaned = text.strip()
    return "\x00" in text or (name == "title" and not cleaned) or len(cleaned) > MAX_LENGTHS.get(name, 10**9)


@pytest.fixture
def valid_form(team):
    start = datetime(2030, 3, 4, 10, 0)
    return {
        "kind": "patch",
        "change_type": "normal",
        "environment": environment("qa").pk,
        "team": team.pk,
        "planned_start": start.isoformat(timespec="minutes"),
        "planned_end": (start + timedelta(hours=2)).isoformat(timespec="minutes"),
        "risk": "low",
        "hosts": ["web01"],
        "intent": "draft",
    }


@pytest.mark.django_db
@FUZZ
@given(texts=st.fixed_dictionaries({name: odd_text for name in TEXT_FIELDS}))
def test_change_form_text_round_trips_exactly(as_requester, valid_form, texts):
    response = as_requester.post(CREATE, valid_form | texts)
    event(f"HTTP {response.status_code}")

    if response.status_code == 302:
        pk = int(re.fullmatch(r"/changes/(\d+)/", response["Location"]).group(1))
        change = Change.objects.get(pk=pk)
        for name in TEXT_FIELDS:
            assert getattr(change, name) == texts[name].strip(), name
        assert list(change.hosts.values_list("hostname", flat=True)) == ["web01"]
        # The saved text is shown escaped on the change page, never as markup.
        page = as_requester.get(response["Location"]).content.decode()
        assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    else:
        assert response.status_code == 400, response.status_code
        errors = response.context["form"].errors
        assert errors and set(errors) <= set(TEXT_FIELDS), errors
        assert all(_legitimate_refusal(name, texts[name]) for name in errors), errors


@pytest.mark.django_db
@FUZZ
@given(
    texts=st.fixed_dictionaries({name: odd_text for name in ["title", "summary"]}),
    window=any_window,
    hosts=st.lists(host_name, max_size=4),
    hosts_paste=st.one_of(st.just(""), st.lists(host_name, max_size=4).map("\n".join), odd_text),
    environment_value=st.one_of(st.sampled_from(["qa", "prod"]), odd_text),
    intent=st.sampled_from(["draft", "submit", "", "volcano"]),
    risk=st.sampled_from(["low", "medium", "high", "critical", "", "<script>"]),
)
def test_change_form_never_fails_on_odd_windows_hosts_and_choices(
    as_requester, valid_form, texts, window, hosts, hosts_paste, environment_value, intent, risk
):
    environments = {"qa": environment("qa").pk, "prod": environment("prod").pk}
    data = (
        valid_form
        | texts
        | {
            "environment": environments.get(environment_value, environment_value),
            "planned_start": window[0],
            "planned_end": window[1],
            "risk": risk,
            "hosts": hosts,
            "hosts_paste": hosts_paste,
            "intent": intent,
        }
    )
    response = as_requester.post(CREATE, data)
    event(f"HTTP {response.status_code}")

    if response.status_code == 302:
        change = Change.objects.get(pk=int(re.fullmatch(r"/changes/(\d+)/", response["Location"]).group(1)))
        assert change.planned_end > change.planned_start
        assert change.planned_start.replace(tzinfo=None) == datetime.fromisoformat(window[0])  # the user's zone is UTC
        expected_hosts = {name.strip().lower() for name in hosts if name.strip()} | {
            name.lower() for name in re.split(r"[\s,;]+", hosts_paste) if name
        }
        assert sorted(change.hosts.values_list("hostname", flat=True)) == sorted(expected_hosts)
    else:
        assert response.status_code == 400, response.status_code
        assert response.context["form"].errors, "a refused form must say why"
        assert "<script>alert(1)</script>" not in response.content.decode()
