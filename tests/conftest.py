import pytest

from tests.factories import PASSWORD, MembershipFactory, TeamFactory, UserFactory


@pytest.fixture
def team(db):
    return TeamFactory(name="Billing dev", slug="billing-dev")


@pytest.fixture
def requester(team):
    user = UserFactory(username="requester")
    MembershipFactory(team=team, user=user)
    return user


@pytest.fixture
def lead(team):
    user = UserFactory(username="lead")
    MembershipFactory(team=team, user=user, is_lead=True)
    return user


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider")


@pytest.fixture
def login(client):
    """Log a user into the test client: ``login(user)`` returns the client."""

    def _login(user):
        assert client.login(username=user.username, password=PASSWORD)
        return client

    return _login
