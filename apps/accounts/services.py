"""Account changes that are more than a form save: the secret token of the ICS/Atom feeds, saved views."""

import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import QueryDict

from apps.accounts.choices import SavedViewPage
from apps.accounts.models import SavedView, UserProfile

# 32 random bytes, URL-safe: 43 characters, within UserProfile.feed_token's 64.
FEED_TOKEN_BYTES = 32


def _locked_profile(user) -> UserProfile:
    UserProfile.objects.get_or_create(user=user)
    return UserProfile.objects.select_for_update().get(user=user)


@transaction.atomic
def regenerate_feed_token(*, user) -> str:
    """Give the user a new feed token; links with the old one stop working at once."""
    profile = _locked_profile(user)
    profile.feed_token = secrets.token_urlsafe(FEED_TOKEN_BYTES)
    profile.save(update_fields=["feed_token"])
    return profile.feed_token


@transaction.atomic
def revoke_feed_token(*, user) -> None:
    """Remove the user's feed token: every feed link of theirs answers 404 from now on."""
    profile = _locked_profile(user)
    profile.feed_token = None
    profile.save(update_fields=["feed_token"])


# Never part of a view: the CSRF token of a POST form someone turned into a GET.
_NEVER_SAVED = ("csrfmiddlewaretoken",)


def saved_view_query(query: str, *, page: SavedViewPage) -> str:
    """The query string a view keeps: empty values, volatile parameters (the calendar's date, the list's page)
    and tokens dropped, the rest in its given order. Raises ValidationError when it is too long to keep."""
    params = QueryDict(query.lstrip("?"), mutable=True)
    kept = QueryDict(mutable=True)
    for key in params:
        if key in page.volatile_keys or key in _NEVER_SAVED:
            continue
        values = [value for value in params.getlist(key) if value.strip()]
        if values:
            kept.setlist(key, values)
    encoded = kept.urlencode()
    if len(encoded) > SavedView.MAX_QUERY_LENGTH:
        raise ValidationError(
            {
                "query": f"These filters are too long to save ({len(encoded)} characters, at most "
                f"{SavedView.MAX_QUERY_LENGTH}): remove a few values first."
            }
        )
    return encoded


@transaction.atomic
def create_saved_view(*, user, page: str, name: str, query: str) -> SavedView:
    """Save the user's current filters on ``page`` under ``name`` (unique per user and page, ignoring case)."""
    page_choice = SavedViewPage(page)
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the view a name."})
    encoded = saved_view_query(query, page=page_choice)
    taken = ValidationError(
        {"name": f"You already have a {page_choice.label.lower()} view named “{name}”: pick another name."}
    )
    if SavedView.objects.filter(user=user, page=page_choice, name__iexact=name).exists():
        raise taken
    try:
        with transaction.atomic():  # a savepoint: the same name saved twice at once loses to the constraint
            return SavedView.objects.create(user=user, page=page_choice, name=name, query=encoded)
    except IntegrityError:
        raise taken from None


@transaction.atomic
def delete_saved_view(*, user, view_id: int) -> SavedView:
    """Delete one of the user's own views; another user's view is SavedView.DoesNotExist, like a missing one."""
    view = SavedView.objects.select_for_update().get(pk=view_id, user=user)
    view.delete()
    return view
