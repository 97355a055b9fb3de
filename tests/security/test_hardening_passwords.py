"""Django's password validators are active where people choose passwords: createsuperuser and the admin."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands import createsuperuser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command

from tests.factories import PASSWORD, UserFactory

STRONG = "plinth-Ferrule-4417-quasar"


class Terminal(StringIO):
    """createsuperuser prompts only on a terminal."""

    def isatty(self):
        return True


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("password", "too common"),
        ("abc12", "too short"),
        ("83749201847", "entirely numeric"),
        ("dana.operator", "too similar"),
    ],
)
def test_weak_passwords_are_rejected(password, reason):
    user = get_user_model()(username="dana.operator", email="dana.operator@example.com")
    with pytest.raises(ValidationError) as caught:
        validate_password(password, user=user)
    assert any(reason in message for message in caught.value.messages)


def test_a_strong_password_passes():
    validate_password(STRONG, user=get_user_model()(username="dana"))


@pytest.mark.django_db
def test_createsuperuser_asks_again_after_a_weak_password(monkeypatch):
    answers = iter(["password", "password", STRONG, STRONG])
    monkeypatch.setattr(createsuperuser.getpass, "getpass", lambda prompt="Password: ": next(answers))
    # "Bypass password validation and create user anyway?" -> no.
    monkeypatch.setattr("builtins.input", lambda prompt="": "n")
    errors = StringIO()
    call_command(
        "createsuperuser",
        interactive=True,
        username="root",
        email="root@example.com",
        stdin=Terminal(),
        stdout=StringIO(),
        stderr=errors,
    )
    assert "This password is too common" in errors.getvalue()
    assert get_user_model().objects.get(username="root").check_password(STRONG)


@pytest.mark.django_db
def test_admin_password_change_rejects_a_weak_password(client):
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    target = UserFactory(username="victim")
    client.force_login(admin_user)
    url = f"/admin/auth/user/{target.pk}/password/"
    response = client.post(url, {"password1": "password", "password2": "password"})
    assert response.status_code == 200
    assert "This password is too common" in response.content.decode()
    target.refresh_from_db()
    assert target.check_password(PASSWORD)
    response = client.post(url, {"password1": STRONG, "password2": STRONG})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.check_password(STRONG)
