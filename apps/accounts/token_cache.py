"""The token → user lookup of every API request, cached, and dropped from the cache the moment it may be stale.

The default cache (Redis in production, shared by every worker) keeps the token row with its user under the
token's hash, so a request authenticates without a query. Anything that can make a cached token wrong marks its
entry stale: a saved or deleted token (revoke, admin edit), a saved user (deactivated, staff or superuser
changed). The mark is written at once and again when the transaction commits, and lookups fill the cache with
``add`` only, which never replaces a mark: a request that read the token just before a revoke committed cannot
put the old row back. A mark lasts ``TTL``, after which the next lookup reads the database again.

``TTL`` also bounds the one window the marks cannot close: an invalidation lost while the cache is unreachable
(the fail-soft cache then drops writes, and reads miss, so nothing stale is served during the outage; an entry
written before it may be served for at most ``TTL`` after Redis comes back). The local-memory cache of the
development settings is per process: with several worker processes and no REDIS_URL a revoke reaches the other
workers within ``TTL``.
"""

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from apps.accounts.models import ApiToken
from apps.platform.cache import set_many_despite_outage

TTL = 60
STALE = "stale"


def _key(token_hash: str) -> str:
    return f"apitoken:{token_hash}"


def cached_token(token_hash: str) -> ApiToken | None:
    """The cached token (with its user) for this hash, or None on a miss or a stale mark."""
    value = cache.get(_key(token_hash))
    return value if isinstance(value, ApiToken) else None


def remember(token: ApiToken) -> None:
    """Cache a token read from the database (never over a stale mark)."""
    cache.add(_key(token.token_hash), token, TTL)


def forget(token: ApiToken) -> None:
    """Drop a token whose cached copy is out of date in a harmless way (its last_used_at moved)."""
    cache.delete(_key(token.token_hash))


def mark_stale(token_hashes: list[str]) -> None:
    def mark() -> None:
        set_many_despite_outage(cache, {_key(token_hash): STALE for token_hash in token_hashes}, TTL)

    if token_hashes:
        mark()
        transaction.on_commit(mark)


def _token_changed(sender, instance: ApiToken, created: bool = False, **kwargs) -> None:
    if not created:  # a new token has nothing cached yet
        mark_stale([instance.token_hash])


def _user_changed(sender, instance, update_fields=None, **kwargs) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a login changes nothing a token lookup reads
    mark_stale(list(ApiToken.objects.filter(user_id=instance.pk).values_list("token_hash", flat=True)))


def connect() -> None:
    post_save.connect(_token_changed, sender=ApiToken, dispatch_uid="token_cache_token_saved")
    post_delete.connect(_token_changed, sender=ApiToken, dispatch_uid="token_cache_token_deleted")
    post_save.connect(_user_changed, sender=get_user_model(), dispatch_uid="token_cache_user_saved")
