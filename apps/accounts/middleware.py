import zoneinfo

from django.utils import timezone

from apps.accounts.models import UserProfile


class UserTimezoneMiddleware:
    """Show and parse times in the signed-in user's own zone; storage stays UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone_name = ""
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            try:
                zone_name = user.profile.time_zone
            except UserProfile.DoesNotExist:
                zone_name = ""
        if zone_name:
            try:
                timezone.activate(zoneinfo.ZoneInfo(zone_name))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)
