from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.accounts.models import Team, TeamMembership
from apps.changes.models import Change, ChangeHost, FreezeWindow
from apps.inventory.models import Environment, Host, Service

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password(PASSWORD)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMembership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)
    is_lead = False


DEFAULT_ENVIRONMENTS = {"dev": ("Development", 10, False), "qa": ("QA", 20, False), "prod": ("Production", 30, True)}


def environment(slug: str = "prod") -> Environment:
    """dev, qa and prod come from a data migration; transactional tests flush them, so recreate them then."""
    name, order, is_production = DEFAULT_ENVIRONMENTS[slug]
    found, _ = Environment.objects.get_or_create(
        slug=slug, defaults={"name": name, "order": order, "is_production": is_production}
    )
    return found


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    name = factory.Sequence(lambda n: f"service-{n}")
    slug = factory.LazyAttribute(lambda service: service.name)


class HostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Host

    hostname = factory.Sequence(lambda n: f"host{n:03d}")
    environment = factory.LazyFunction(lambda: environment("prod"))


class ChangeFactory(factory.django.DjangoModelFactory):
    """A change saved directly; tests of workflows go through apps.changes.services instead."""

    class Meta:
        model = Change

    title = factory.Sequence(lambda n: f"Change {n}")
    backout_plan = "Reinstall the previous version."
    environment = factory.LazyFunction(lambda: environment("prod"))
    planned_start = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    planned_end = factory.LazyAttribute(lambda change: change.planned_start + timedelta(hours=2))


class ChangeHostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChangeHost

    change = factory.SubFactory(ChangeFactory)
    host = factory.SubFactory(HostFactory)


class FreezeWindowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FreezeWindow

    name = factory.Sequence(lambda n: f"Freeze {n}")
    start = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))
    end = factory.LazyAttribute(lambda window: window.start + timedelta(days=2))
