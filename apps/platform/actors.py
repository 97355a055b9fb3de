"""Who acts on something, resolved at the edge (a view, an API call, a task, a command, an ingest).

A service is told exactly one of: a person acting with their own rights (a user: ``as_actor(user)``), a person
using a right granted for this one action (``Actor.person(user, authority="team lead: backout via INC-3")``, checked
by the service that grants it), or the system, which says what it is (``Actor.automatic("standard change
template")``). The person is always the one recorded; "nobody" is never a way to skip a permission check.
"""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    user: Any = None
    system: str = ""
    authority: str = ""

    @classmethod
    def person(cls, user, *, authority: str = "") -> "Actor":
        if user is None or not getattr(user, "is_authenticated", False):
            raise TypeError("A person who acts must be a signed-in user.")
        return cls(user=user, authority=authority)

    @classmethod
    def automatic(cls, what: str) -> "Actor":
        if not what.strip():
            raise TypeError("Say what acts: Actor.automatic('approval rules').")
        return cls(system=what.strip())

    @property
    def is_system(self) -> bool:
        return self.user is None

    @property
    def uses_authority(self) -> bool:
        """Acting under a right granted for this action: the service that grants it has checked it."""
        return bool(self.authority)

    @property
    def username(self) -> str | None:
        return None if self.user is None else self.user.get_username()

    @property
    def acting_as(self) -> str:
        """What the record says besides the person: 'system: <what>' or the authority used ('' for neither)."""
        return f"system: {self.system}" if self.is_system else self.authority

    def __str__(self) -> str:
        if self.is_system:
            return f"system ({self.system})"
        return f"{self.username} ({self.authority})" if self.authority else str(self.username)


def as_actor(value) -> Actor:
    """A service's ``actor`` argument: an Actor, or a user acting with their own rights."""
    if isinstance(value, Actor):
        return value
    if value is None:
        raise TypeError("Say who acts: a user, or Actor.automatic('what') for the system.")
    return Actor.person(value)
