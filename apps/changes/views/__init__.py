from apps.changes.views.actions import change_comment, change_host_states, change_transition
from apps.changes.views.browse import change_detail, change_list
from apps.changes.views.edit import (
    change_clone,
    change_create,
    change_edit,
    form_collisions,
    form_hosts,
    host_search,
    kind_guidance,
)

__all__ = [
    "change_clone",
    "change_comment",
    "change_create",
    "change_detail",
    "change_edit",
    "change_host_states",
    "change_list",
    "change_transition",
    "form_collisions",
    "form_hosts",
    "host_search",
    "kind_guidance",
]
