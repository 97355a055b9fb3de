"""BuiltOnceModelSerializer: fields built from the model once per class, the same output as DRF's ModelSerializer,
and every instance still its own fields, bound to itself, with its own context."""

import copy
from unittest import mock

import pytest
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from apps.accounts.api.serializers import TeamSerializer
from apps.inventory.api.serializers import EnvironmentSerializer, HostSerializer, ServiceSerializer
from apps.inventory.models import Environment
from apps.platform.api.serializers import BuiltOnceModelSerializer
from tests.factories import HostFactory, MembershipFactory, ServiceFactory, TeamFactory, environment

pytestmark = pytest.mark.django_db


def _plain(serializer_class):
    """The same serializer on DRF's own ModelSerializer (fields rebuilt per instance)."""
    assert serializer_class.__bases__ == (BuiltOnceModelSerializer,)
    namespace = {"Meta": serializer_class.Meta, **copy.deepcopy(serializer_class._declared_fields)}
    return type(f"Plain{serializer_class.__name__}", (serializers.ModelSerializer,), namespace)


def test_the_hot_read_serializers_give_the_same_output_as_drfs_own():
    team = TeamFactory(name="Payments", slug="payments")
    MembershipFactory(team=team, is_lead=True)
    service = ServiceFactory(name="billing", owner_team=team)
    host = HostFactory(hostname="pay01.prod", environment=environment("prod"))
    host.services.add(service)
    cases = [
        (EnvironmentSerializer, host.environment),
        (ServiceSerializer, service),
        (HostSerializer, host),
        (TeamSerializer, team),
    ]
    for serializer_class, obj in cases:
        assert serializer_class(obj).data == _plain(serializer_class)(obj).data, serializer_class.__name__
        many = serializer_class([obj, obj], many=True).data
        assert many == _plain(serializer_class)([obj, obj], many=True).data, serializer_class.__name__


class EnvironmentWithViewer(BuiltOnceModelSerializer):
    viewer = serializers.SerializerMethodField()

    class Meta:
        model = Environment
        fields = ["slug", "viewer"]

    def get_viewer(self, obj) -> str:
        return self.context["request"].GET.get("who", "")


def test_fields_are_built_once_per_class_and_each_instance_gets_its_own_bound_copies():
    prod = environment("prod")
    with mock.patch.object(
        serializers.ModelSerializer, "get_fields", autospec=True, side_effect=serializers.ModelSerializer.get_fields
    ) as build:
        first, second = EnvironmentWithViewer(prod), EnvironmentWithViewer(prod)
        first_fields, second_fields = first.fields, second.fields
    assert build.call_count <= 1  # none if an earlier test already built the class's fields
    assert first_fields["slug"] is not second_fields["slug"]
    assert first_fields["slug"].parent is first and second_fields["slug"].parent is second


def test_each_instance_reads_its_own_context():
    prod = environment("prod")
    factory = APIRequestFactory()
    alice = EnvironmentWithViewer(prod, context={"request": factory.get("/", {"who": "alice"})}).data
    bob = EnvironmentWithViewer(prod, context={"request": factory.get("/", {"who": "bob"})}).data
    assert alice == {"slug": "prod", "viewer": "alice"}
    assert bob == {"slug": "prod", "viewer": "bob"}
