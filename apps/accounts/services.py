"""Account changes that are more than a form save: the secret token of the ICS/Atom feeds."""

import secrets

from django.db import transaction

from apps.accounts.models import UserProfile

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
