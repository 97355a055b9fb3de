from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from apps.accounts import user_cache


class CachedUserBackend(ModelBackend):
    """Django's username/password backend, whose per-request user lookup reads the cached row when it can.

    Logging in, passwords and permissions are ModelBackend's. ``get_user`` (once per signed-in request, after the
    session) is served from apps.accounts.user_cache, which drops a row the moment the user is saved or deleted;
    an inactive user is refused whichever way the row came.
    """

    def get_user(self, user_id):
        user = user_cache.cached_user(user_id)
        if user is None:
            user_model = get_user_model()
            try:
                user = user_model._default_manager.get(pk=user_id)
            except user_model.DoesNotExist:
                return None
            user_cache.remember(user)
        return user if self.user_can_authenticate(user) else None
