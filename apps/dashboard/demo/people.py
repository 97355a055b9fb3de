"""Demo users, teams and profiles. Passwords are public: this data is for demos only."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractUser

from apps.accounts.choices import TeamKind
from apps.accounts.models import Team, TeamMembership, UserProfile

DEV_TEAM = "billing-dev"
OPS_TEAM = "operations"
RELEASE_TEAM = "release-management"


@dataclass(frozen=True)
class DemoTeam:
    slug: str
    name: str
    kind: str
    description: str


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str
    time_zone: str = ""
    # (team slug, is lead) pairs
    teams: tuple[tuple[str, bool], ...] = ()
    is_superuser: bool = False

    @property
    def password(self) -> str:
        return demo_password(self.username)

    @property
    def email(self) -> str:
        return f"{self.username}@example.com"


TEAMS = (
    DemoTeam(DEV_TEAM, "Billing development", TeamKind.DEV, "Builds and releases the billing application."),
    DemoTeam(OPS_TEAM, "Operations", TeamKind.OPS, "Runs the machines, the network and the platform software."),
    DemoTeam(RELEASE_TEAM, "Release management", TeamKind.RELEASE, "Plans release trains and go/no-go meetings."),
)

USERS = (
    DemoUser("admin", "Portal", "Admin", "superuser and staff", is_superuser=True),
    DemoUser(
        "dana",
        "Dana",
        "Meyer",
        "dev lead (approves billing-dev changes)",
        "Europe/Paris",
        ((DEV_TEAM, True), (RELEASE_TEAM, False)),
    ),
    DemoUser(
        "dev",
        "Devin",
        "Roux",
        "developer, requests the release",
        "Europe/Paris",
        ((DEV_TEAM, False),),
    ),
    DemoUser("olga", "Olga", "Ivanova", "ops lead (approves operations changes)", "", ((OPS_TEAM, True),)),
    DemoUser("ops", "Oscar", "Silva", "ops engineer", "Europe/Lisbon", ((OPS_TEAM, False),)),
    DemoUser(
        "rita",
        "Rita",
        "Novak",
        "release manager (approves release-management changes)",
        "Europe/Paris",
        ((RELEASE_TEAM, True),),
    ),
    DemoUser("viewer", "Vera", "Lind", "read-only, no team"),
)


def demo_password(username: str) -> str:
    return f"demo-{username}-2026"


@dataclass(frozen=True)
class People:
    users: dict[str, AbstractUser]
    teams: dict[str, Team]

    def __getitem__(self, username: str) -> AbstractUser:
        return self.users[username]


def ensure_people() -> People:
    """Create the demo teams and users if missing; an existing account keeps its password."""
    teams = {}
    for spec in TEAMS:
        team, _ = Team.objects.get_or_create(
            slug=spec.slug, defaults={"name": spec.name, "kind": spec.kind, "description": spec.description}
        )
        teams[spec.slug] = team

    user_model = get_user_model()
    existing = set(
        user_model.objects.filter(username__in=[spec.username for spec in USERS]).values_list("username", flat=True)
    )
    new_hashes = _hash_passwords([spec for spec in USERS if spec.username not in existing])
    users = {}
    for spec in USERS:
        user, _ = user_model.objects.get_or_create(
            username=spec.username,
            defaults={
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "email": spec.email,
                "is_staff": spec.is_superuser,
                "is_superuser": spec.is_superuser,
                "password": new_hashes.get(spec.username, ""),
            },
        )
        UserProfile.objects.get_or_create(user=user, defaults={"time_zone": spec.time_zone})
        for team_slug, is_lead in spec.teams:
            TeamMembership.objects.get_or_create(team=teams[team_slug], user=user, defaults={"is_lead": is_lead})
        users[spec.username] = user
    return People(users=users, teams=teams)


def _hash_passwords(specs: list[DemoUser]) -> dict[str, str]:
    """Hash side by side: each hash takes about half a second, and the hashing releases the GIL."""
    if not specs:
        return {}
    with ThreadPoolExecutor(max_workers=len(specs)) as pool:
        hashes = pool.map(make_password, [spec.password for spec in specs])
        return {spec.username: hashed for spec, hashed in zip(specs, hashes, strict=True)}
