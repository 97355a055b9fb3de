import zoneinfo

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from apps.accounts.models import UserProfile

# The zone is read on every signed-in request (a poll of the bridge every 4 s): kept in the default cache and
# dropped whenever the profile is saved or deleted, so the next request reads it again.
ZONE_TTL = 3600


def _zone_key(user) -> str:
    # The join time tells apart two users who got the same id (SQLite reuses the ids of rolled-back rows).
    return f"user-time-zone:{user.pk}:{user.date_joined.timestamp()}"


def _zone_of(user) -> str:
    key = _zone_key(user)
    zone_name = cache.get(key)
    if zone_name is None:
        try:
            zone_name = user.profile.time_zone
        except UserProfile.DoesNotExist:
            zone_name = ""
        cache.set(key, zone_name, ZONE_TTL)
    return zone_name


def _profile_changed(sender, instance: UserProfile, **kwargs) -> None:
    cache.delete(_zone_key(instance.user))


def connect() -> None:
    post_save.connect(_profile_changed, sender=UserProfile, dispatch_uid="time_zone_profile_saved")
    post_delete.connect(_profile_changed, sender=UserProfile, dispatch_uid="time_zone_profile_deleted")


class UserTimezoneMiddleware:
    """Show and parse times in the signed-in user's own zone; storage stays UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone_name = ""
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            zone_name = _zone_of(user)
        if zone_name:
            try:
                timezone.activate(zoneinfo.ZoneInfo(zone_name))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)
