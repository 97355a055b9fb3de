import pytest
from django.urls import clear_script_prefix, reverse, set_script_prefix

from apps.platform.reversing import url_maker


@pytest.mark.parametrize("name", ["changes:change_detail", "incidents:incident_detail"])
def test_url_maker_matches_reverse_for_any_key(name):
    make = url_maker(name)
    for pk in (1, 42, 9_000_000_001):
        assert make(pk) == reverse(name, args=[pk])


def test_url_maker_follows_the_script_prefix():
    try:
        set_script_prefix("/portal/")
        assert url_maker("changes:change_detail")(7) == reverse("changes:change_detail", args=[7])
        assert url_maker("changes:change_detail")(7).startswith("/portal/")
    finally:
        clear_script_prefix()
    assert not url_maker("changes:change_detail")(7).startswith("/portal/")
