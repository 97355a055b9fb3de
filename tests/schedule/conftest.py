from datetime import UTC, datetime

import pytest

from apps.accounts.models import UserProfile
from tests.factories import ChangeFactory, UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_change(start: datetime, end: datetime, **fields):
    return ChangeFactory(planned_start=start, planned_end=end, **fields)


@pytest.fixture
def viewer(db):
    return UserFactory(username="viewer")


@pytest.fixture
def paris_viewer(db):
    user = UserFactory(username="parisian")
    UserProfile.objects.create(user=user, time_zone="Europe/Paris")
    return user
