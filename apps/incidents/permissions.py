"""Who may do what on the incident bridge.

Reading and participating (opening incidents, notes, marking suspects, moving the incident's status) is open
to every signed-in user: at 08:00 everyone on the call needs to. Backing out a change is not: it needs the
right to edit that change (its requester, its team, staff), or to be a lead of any team, because the
person running the bridge is often a lead from the other side (an ops lead backing out a dev release).

Findings (confirmed cause, fixed by) are recorded by any participant, like a mark. Withdrawing one is narrower:
findings feed the change metrics of the change's team, so only the person who recorded it, staff or a team lead
may take someone's conclusion back.
"""

from apps.changes import permissions as change_permissions
from apps.changes.models import Change


def can_participate(user) -> bool:
    return bool(user and user.is_authenticated)


def is_any_team_lead(user) -> bool:
    if not (user and user.is_authenticated):
        return False
    cached = getattr(user, "_cp_is_lead", None)
    if cached is None:
        cached = user.team_memberships.filter(is_lead=True).exists()
        user._cp_is_lead = cached
    return cached


def can_back_out(user, change: Change) -> bool:
    if not (user and user.is_authenticated):
        return False
    return user.is_staff or change_permissions.can_edit(user, change) or is_any_team_lead(user)


def can_record_finding(user) -> bool:
    return can_participate(user)


def can_withdraw_finding(user, finding) -> bool:
    if not (user and user.is_authenticated):
        return False
    return user.is_staff or finding.recorded_by_id == user.pk or is_any_team_lead(user)
