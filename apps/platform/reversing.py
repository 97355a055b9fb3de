"""reverse() for many objects at once: a page that links hundreds of changes reverses the pattern once."""

from collections.abc import Callable
from functools import lru_cache

from django.urls import get_script_prefix, get_urlconf, reverse

# A primary key no real row has; it marks where each row's own key goes.
_PROBE = 908_070_605_040_302


@lru_cache(maxsize=32)
def _parts(name: str, script_prefix: str, urlconf) -> tuple[str, str]:
    head, found, tail = reverse(name, args=[_PROBE]).rpartition(str(_PROBE))
    if not found:
        raise ValueError(f"The URL {name!r} does not show its primary key as it is.")
    return head, tail


def url_maker(name: str) -> Callable[[int], str]:
    """``reverse(name, args=[pk])`` as a function of ``pk``; cached per script prefix and URL configuration."""
    head, tail = _parts(name, get_script_prefix(), get_urlconf())
    return lambda pk: f"{head}{pk}{tail}"
