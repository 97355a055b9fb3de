"""The signed-in user's row, cached for the session login, and dropped from the cache the moment it may be stale.

Every signed-in request (a bridge participant polls every 4 s) reads its session and then the user row. The
default cache keeps the row under the user's id (``CachedUserBackend.get_user``), so the second query goes.
It follows the token cache's rules (apps/accounts/token_cache.py): anything that can make the row wrong marks
the entry stale, at once and again when the transaction commits (a saved user: deactivated, password, staff or
superuser changed, renamed; a deleted user), and lookups fill the cache with ``add``, which never replaces a
mark, so a request that read the row just before a change committed cannot put the old row back. A mark lasts
``TTL``; after it the next lookup reads the database again.

A new user's id may have been used before (SQLite reuses the ids of rolled-back rows), so creating one drops
whatever sits under its id. A save of ``last_login`` alone (every login) is left alone, as the token cache does:
nothing a request authorises reads it, and a login must not depend on the cache (a dead Redis must not turn it
into a 500). The password is checked again on every request anyway: Django compares the session's hash with the
cached row's, and a password change marks the row stale.

``TTL`` also bounds the one window the marks cannot close: an invalidation lost while the cache is unreachable
(reads miss then, so nothing stale is served during the outage; an entry written before it may be served for at
most ``TTL`` after Redis comes back). The marks are written even while this process's fail-soft cache pauses after
a failed call (``set_many_despite_outage``): other processes may still be reading Redis.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from apps.platform.cache import set_many_despite_outage

TTL = 60
STALE = "stale"


def _key(user_id) -> str:
    return f"session-user:{user_id}"


def cached_user(user_id) -> AbstractBaseUser | None:
    """The cached user row with this id, or None on a miss or a stale mark."""
    value = cache.get(_key(user_id))
    return value if isinstance(value, get_user_model()) else None


def remember(user: AbstractBaseUser) -> None:
    """Cache a user row just read from the database (never over a stale mark)."""
    cache.add(_key(user.pk), user, TTL)


def _at_once_and_on_commit(action) -> None:
    action()
    transaction.on_commit(action)


def _user_saved(sender, instance, created: bool = False, update_fields=None, **kwargs) -> None:
    key = _key(instance.pk)
    if created:
        _at_once_and_on_commit(lambda: cache.delete(key))
    elif update_fields is None or not set(update_fields) <= {"last_login"}:
        _at_once_and_on_commit(lambda: set_many_despite_outage(cache, {key: STALE}, TTL))


def _user_deleted(sender, instance, **kwargs) -> None:
    key = _key(instance.pk)
    _at_once_and_on_commit(lambda: set_many_despite_outage(cache, {key: STALE}, TTL))


def connect() -> None:
    user_model = get_user_model()
    post_save.connect(_user_saved, sender=user_model, dispatch_uid="user_cache_user_saved")
    post_delete.connect(_user_deleted, sender=user_model, dispatch_uid="user_cache_user_deleted")
