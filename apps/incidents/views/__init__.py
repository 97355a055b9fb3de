from apps.incidents.views.actions import (
    add_note,
    complete_backout,
    mark_suspect,
    record_finding,
    record_rollback,
    set_status,
    start_backout,
    withdraw_finding,
)
from apps.incidents.views.incidents import (
    form_hosts,
    incident_create,
    incident_detail,
    incident_list,
    incident_live,
    picker_search,
)
from apps.incidents.views.lookup import host_search, host_suspects, lookup

__all__ = [
    "add_note",
    "complete_backout",
    "form_hosts",
    "host_search",
    "host_suspects",
    "incident_create",
    "incident_detail",
    "incident_list",
    "incident_live",
    "lookup",
    "mark_suspect",
    "picker_search",
    "record_finding",
    "record_rollback",
    "set_status",
    "start_backout",
    "withdraw_finding",
]
