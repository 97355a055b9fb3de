import pytest

from apps.changes.models import Change
from apps.platform.sharing import attach_shared
from tests.factories import ChangeFactory, TeamFactory, environment


@pytest.mark.django_db
def test_one_query_and_one_instance_per_related_row(django_assert_num_queries):
    team = TeamFactory()
    ChangeFactory(environment=environment("prod"), team=team)
    ChangeFactory(environment=environment("prod"), team=team)
    ChangeFactory(environment=environment("qa"), team=None)
    changes = list(Change.objects.order_by("pk"))
    with django_assert_num_queries(2):
        attach_shared(changes, "environment")
        attach_shared(changes, "team")
        assert [change.environment.slug for change in changes] == ["prod", "prod", "qa"]
        assert changes[0].environment is changes[1].environment
        assert changes[0].team is changes[1].team and changes[0].team.pk == team.pk
        assert changes[2].team is None


@pytest.mark.django_db
def test_known_rows_are_reused_without_a_query(django_assert_num_queries):
    prod = environment("prod")
    ChangeFactory(environment=prod)
    changes = list(Change.objects.all())
    with django_assert_num_queries(0):
        attach_shared(changes, "environment", known=[prod])
        assert changes[0].environment is prod
