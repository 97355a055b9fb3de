"""Personal API tokens: created (shown once), looked up by their visible prefix, checked by hash, revoked.

A token reads ``cp_<prefix>_<secret>``: 8 hex characters of prefix (stored, shown in the UI to tell tokens
apart) and 32 random bytes of secret. The database keeps only the SHA-256 of the whole token, so a leaked
database does not leak usable tokens; the secret has enough entropy that a plain (unsalted) hash is safe.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts import token_cache
from apps.accounts.choices import TokenScope
from apps.accounts.models import ApiToken

TOKEN_PREFIX = "cp"
PREFIX_BYTES = 4
SECRET_BYTES = 32
# last_used_at is written at most this often per token, so reads do not cost a write each.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    plaintext: str


def hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def split_token(plaintext: str) -> str | None:
    """The lookup prefix of a well-formed token, or None."""
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or len(parts[1]) != PREFIX_BYTES * 2 or not parts[2]:
        return None
    return parts[1]


@transaction.atomic
def create_api_token(*, user, name: str, scope: str = TokenScope.READ, expires_at: datetime | None = None) -> NewToken:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the token after what will use it."})
    if scope not in TokenScope.values:
        raise ValidationError({"scope": f"Unknown scope {scope!r}. Valid: {', '.join(TokenScope.values)}."})
    if scope == TokenScope.INVENTORY and not user.is_staff:
        # The scope grants inventory writes by itself, so only those who may write the inventory create one.
        raise ValidationError({"scope": "Only staff create inventory tokens."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    while True:
        prefix = secrets.token_hex(PREFIX_BYTES)
        if not ApiToken.objects.filter(prefix=prefix).exists():
            break
    plaintext = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=prefix, token_hash=hash_token(plaintext), scope=scope, expires_at=expires_at
    )
    return NewToken(token=token, plaintext=plaintext)


@transaction.atomic
def revoke_api_token(*, token: ApiToken) -> ApiToken:
    """Revoke a token at once; revoking twice keeps the first time."""
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
    return locked


def find_usable_token(plaintext: str) -> ApiToken | None:
    """The live token matching ``plaintext`` (not revoked, not expired, active user), else None.

    Served from the token cache when it can be (apps.accounts.token_cache: no query per request), else read
    by its prefix and checked by hash.
    """
    prefix = split_token(plaintext)
    if prefix is None:
        return None
    digest = hash_token(plaintext)
    token = token_cache.cached_token(digest)
    cached = token is not None
    if token is None:
        token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
        if token is None or not hmac.compare_digest(token.token_hash, digest):
            return None
    now = timezone.now()
    if not token.is_usable(now) or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
        if cached:
            token_cache.forget(token)  # the next request reads the row again, with its new time
            return token
    if not cached:
        token_cache.remember(token)
    return token
