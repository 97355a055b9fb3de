from django.conf import settings
from django.utils import timezone


def portal(request):
    return {
        "current_time_zone": timezone.get_current_timezone_name(),
        "site_url": settings.SITE_URL,
    }
