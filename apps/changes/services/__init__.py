"""Every write to a change goes through these functions; each leaves an activity entry."""

from apps.changes.services.audit import audit_value, record_activity
from apps.changes.services.execution import set_host_states
from apps.changes.services.lifecycle import (
    EDITABLE_FIELDS,
    add_comment,
    create_change,
    record_retroactive_approval,
    submit_change,
    transition_change,
    update_change,
)

__all__ = [
    "EDITABLE_FIELDS",
    "add_comment",
    "audit_value",
    "create_change",
    "record_activity",
    "record_retroactive_approval",
    "set_host_states",
    "submit_change",
    "transition_change",
    "update_change",
]
