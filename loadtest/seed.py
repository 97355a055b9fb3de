"""What the load clients need, created through the app's own models in a child process pointed at the load
database (``manage.py shell -c``, see loadtest.run.seed_database): logins, an API token, hosts.

Idempotent: a second run reuses the team, users and hosts and adds a fresh token.
"""

import secrets

from django.contrib.auth import get_user_model

from apps.accounts.models import Team, TeamMembership
from apps.accounts.tokens import create_api_token
from apps.inventory.models import Environment, Host, Service

TEAM, SERVICE = "load", "load-web"


def seed(clients: int, hosts: int) -> dict:
    team, _ = Team.objects.get_or_create(slug=TEAM, defaults={"name": "Load test"})
    prod, _ = Environment.objects.get_or_create(
        slug="prod", defaults={"name": "Production", "order": 30, "is_production": True}
    )
    Service.objects.get_or_create(slug=SERVICE, defaults={"name": SERVICE})
    hostnames = [f"load{number:03d}.prod" for number in range(1, hosts + 1)]
    for hostname in hostnames:
        Host.objects.get_or_create(hostname=hostname, defaults={"environment": prod})
    password = secrets.token_urlsafe(16)
    usernames = []
    for number in range(clients):
        # One login per client: the login throttle counts attempts per username.
        user, _ = get_user_model().objects.get_or_create(
            username=f"load-client-{number}", defaults={"email": f"load-client-{number}@example.com"}
        )
        user.set_password(password)
        user.save(update_fields=["password"])
        TeamMembership.objects.get_or_create(team=team, user=user)
        usernames.append(user.username)
    # A lead, so that each submitted change has an approver to notify (the worker's email fan-out).
    lead, _ = get_user_model().objects.get_or_create(username="load-lead", defaults={"email": "load-lead@example.com"})
    TeamMembership.objects.update_or_create(team=team, user=lead, defaults={"is_lead": True})
    token = create_api_token(user=user, name=f"load {secrets.token_hex(3)}", scope="read_write").plaintext
    return {
        "token": token,
        "usernames": usernames,
        "password": password,
        "hosts": hostnames,
        "service": SERVICE,
        "team": TEAM,
    }
