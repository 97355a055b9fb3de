"""What each role gets from every endpoint: the permission model of docs/permissions.md as data.

UI: ``url name -> (anonymous, viewer, requester, lead, admin)`` for a plain GET.
API: ``operationId -> (anonymous, viewer, requester, lead, admin, read_only, session)`` for the operation's own
method, with the body in ``API_BODIES`` (empty unless a valid body is needed to reach the permission check).
A 400 for a permitted role with an empty body is expected: the permission layer let it through.
"""

LOGIN = "302 to /login/"
ADMIN_LOGIN = "302 to /admin/login/"
# A redirect that is not to a login page (the admin login sends a signed-in superuser on to the admin).
BACK = "302 elsewhere than a login page"

SIGNED_IN = (LOGIN, 200, 200, 200, 200)
POST_ONLY = (LOGIN, 405, 405, 405, 405)
PUBLIC = (200, 200, 200, 200, 200)
REQUESTERS = (LOGIN, 403, 200, 200, 200)

UI_GET = {
    "dashboard:home": SIGNED_IN,
    "platform:healthz": PUBLIC,
    "accounts:login": PUBLIC,
    # The admin's login, shadowed so it is throttled like the portal's: staff already signed in go to the admin.
    "accounts:admin_login": (200, 200, 200, 200, BACK),
    "accounts:logout": (405, 405, 405, 405, 405),  # Django's LogoutView only logs out on POST
    "accounts:profile": SIGNED_IN,
    "accounts:api_tokens": SIGNED_IN,
    "accounts:api_token_revoke": POST_ONLY,
    "accounts:feed_token_regenerate": POST_ONLY,
    "accounts:feed_token_revoke": POST_ONLY,
    "accounts:saved_view_create": POST_ONLY,
    "accounts:saved_view_delete": POST_ONLY,
    "accounts:team_list": SIGNED_IN,
    "accounts:team_detail": SIGNED_IN,
    "schedule:calendar": SIGNED_IN,
    # Feeds answer only to a feed token in the URL: without one, 404 for everybody, session or not.
    "schedule:feed_ics": (404, 404, 404, 404, 404),
    "schedule:feed_atom": (404, 404, 404, 404, 404),
    "schedule:change_export": SIGNED_IN,
    "changes:change_list": SIGNED_IN,
    "changes:change_create": REQUESTERS,
    "changes:form_hosts": POST_ONLY,
    "changes:host_search": SIGNED_IN,
    "changes:form_collisions": POST_ONLY,
    "changes:kind_guidance": SIGNED_IN,
    "changes:change_detail": SIGNED_IN,
    "changes:change_edit": REQUESTERS,
    "changes:change_clone": REQUESTERS,
    "changes:change_transition": POST_ONLY,
    "changes:change_comment": POST_ONLY,
    "changes:change_host_states": POST_ONLY,
    "approvals:inbox": SIGNED_IN,
    "approvals:decide": POST_ONLY,
    # Chat channels: anyone signed in sees the list (their teams' channels); leads of the team and staff set one up,
    # and another team's channel is not found. Slack's interactivity endpoint is authorised by Slack's signature.
    "chat:channel_list": SIGNED_IN,
    "chat:channel_new": (LOGIN, 403, 403, 200, 200),
    "chat:channel_edit": (LOGIN, 404, 404, 200, 200),
    "chat:channel_deliveries": (LOGIN, 404, 404, 200, 200),
    "chat:channel_active": POST_ONLY,
    "chat:slack_link": POST_ONLY,
    "slack:interactivity": (405, 405, 405, 405, 405),
    "inventory:host_list": SIGNED_IN,
    "inventory:host_detail": SIGNED_IN,
    "inventory:host_import": (LOGIN, 403, 403, 403, 200),
    "incidents:incident_list": SIGNED_IN,
    "incidents:incident_create": SIGNED_IN,
    "incidents:form_hosts": POST_ONLY,
    "incidents:picker_search": SIGNED_IN,
    "incidents:incident_detail": SIGNED_IN,
    "incidents:incident_live": SIGNED_IN,
    "incidents:set_status": POST_ONLY,
    "incidents:add_note": POST_ONLY,
    "incidents:mark_suspect": POST_ONLY,
    "incidents:start_backout": POST_ONLY,
    "incidents:record_rollback": POST_ONLY,
    "incidents:complete_backout": POST_ONLY,
    "incidents:record_finding": POST_ONLY,
    "incidents:withdraw_finding": POST_ONLY,
    "bridge:lookup": SIGNED_IN,
    "bridge:host_search": SIGNED_IN,
    "bridge:host_suspects": SIGNED_IN,
    "metrics:page": SIGNED_IN,
    "metrics:definitions": SIGNED_IN,
    "metrics:list": SIGNED_IN,
    "metrics:csv": SIGNED_IN,
    # The OpenAPI description and its browser are public (drf-spectacular's AllowAny): they describe the API,
    # they hold no data. Every operation they describe still needs a token or a session.
    "api-schema": PUBLIC,
    "api-docs": PUBLIC,
    # Any other path under /api/ (the pattern's own URL is /api/): a JSON 404 for everybody, signed in or not.
    "api-not-found": (404, 404, 404, 404, 404),
    # Leads (of some team) and staff manage integration keys.
    "ingest:integration_keys": (LOGIN, 403, 403, 200, 200),
    "ingest:integration_key_revoke": POST_ONLY,
    # PagerDuty's endpoint takes only POST (its key is in the body, not a session): 405 to every GET.
    "pagerduty-change-enqueue": (405, 405, 405, 405, 405),
}

READ = (401, 200, 200, 200, 200, 200, 200)
# Writes by someone allowed to edit the change (requester, team, staff); empty body -> 400 after the check.
CHANGE_WRITE = (401, 403, 400, 400, 400, 403, 403)
STAFF_ONLY = (401, 403, 403, 403, 400, 403, 403)
STAFF_PATCH = (401, 403, 403, 403, 200, 403, 403)  # an empty PATCH is a valid no-op edit

API = {
    "v1_approvals_list": READ,
    "v1_approvals_retrieve": READ,
    "change_events_create": (401, 403, 202, 202, 202, 403, 403),
    # A batch answers 200 with each event's own status; the right to record changes is checked before any event.
    "change_events_batch": (401, 403, 200, 200, 200, 403, 403),
    "v1_changes_list": READ,
    "v1_changes_create": CHANGE_WRITE,
    "v1_changes_retrieve": READ,
    "v1_changes_update": CHANGE_WRITE,
    "v1_changes_partial_update": CHANGE_WRITE,
    # The requester may not decide on their own change; staff decide only as members of a required team.
    "v1_changes_decide_create": (401, 403, 403, 400, 403, 403, 403),
    "v1_changes_gate_retrieve": READ,
    "changes_host_state": CHANGE_WRITE,
    "changes_hosts_state_bulk": CHANGE_WRITE,
    "v1_changes_transition_create": CHANGE_WRITE,
    "v1_changes_feed_list": READ,
    "v1_environments_list": READ,
    "v1_environments_retrieve": READ,
    "freeze_state": READ,
    "v1_freeze_windows_list": READ,
    "v1_freeze_windows_retrieve": READ,
    "v1_hosts_list": READ,
    "v1_hosts_create": STAFF_ONLY,
    "v1_hosts_retrieve": READ,
    "v1_hosts_update": STAFF_ONLY,
    "v1_hosts_partial_update": STAFF_PATCH,
    "v1_hosts_history_list": READ,
    "v1_hosts_bulk_create": STAFF_ONLY,
    "host_suspects": READ,
    "v1_integration_keys_list": (401, 403, 403, 200, 200, 403, 403),
    "v1_integration_keys_create": (401, 403, 403, 400, 400, 403, 403),
    "v1_integration_keys_retrieve": (401, 403, 403, 200, 200, 403, 403),
    "v1_integration_keys_revoke_create": (401, 403, 403, 200, 200, 403, 403),
    "v1_incidents_list": READ,
    "v1_incidents_retrieve": READ,
    "incident_suspects": READ,
    "incident_findings": READ,
    "incident_finding": READ,
    # Any participant records a finding (an empty body: 400 after the check); withdrawing someone else's needs
    # staff or a team lead (the matrix's finding was recorded by the admin).
    "incident_finding_record": (401, 400, 400, 400, 400, 403, 403),
    "incident_finding_withdraw": (401, 403, 403, 200, 200, 403, 403),
    "change_findings": READ,
    "metrics": READ,
    "metric": READ,
    "metric_changes": READ,
    "v1_services_list": READ,
    "v1_services_retrieve": READ,
    "v1_services_create": STAFF_ONLY,
    "v1_services_update": STAFF_ONLY,
    "v1_services_partial_update": STAFF_PATCH,
    "v1_services_history_list": READ,
    "v1_teams_list": READ,
    "v1_teams_retrieve": READ,
}

# The ingest service checks the right to record changes after validating the event, so the matrix sends a valid
# one: an allowed role gets 202 (rolled back with the test), a viewer 403.
MATRIX_EVENT = {
    "payload": {"summary": "Matrix deploy", "source": "matrix"},
    "hosts": ["mweb01.prod"],
    "environment": "prod",
    "dedup_key": "matrix-event",
}
API_BODIES = {
    "incident_finding_withdraw": {"note": "Matrix: it was not"},
    "change_events_create": MATRIX_EVENT,
    "change_events_batch": {"events": [MATRIX_EVENT]},
}


def assert_status(response, expected, what: str) -> None:
    if response.status_code == 302:
        body = response.get("Location")
    else:
        body = b"(streamed)" if response.streaming else response.content[:300]
    if expected in (LOGIN, ADMIN_LOGIN):
        target = "/login/" if expected == LOGIN else "/admin/login/"
        assert response.status_code == 302 and response["Location"].startswith(target), (what, body)
    elif expected == BACK:
        assert response.status_code == 302 and "login/" not in response["Location"], (what, body)
    else:
        assert response.status_code == expected, (what, response.status_code, body)
