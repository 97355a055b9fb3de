from django.db import models


class ChatKind(models.TextChoices):
    SLACK = "slack", "Slack (incoming webhook)"
    TEAMS = "teams", "Microsoft Teams (workflow or incoming webhook)"
    MATTERMOST = "mattermost", "Mattermost (incoming webhook)"


class ChatTopic(models.TextChoices):
    """What a channel can subscribe to. Several outbox events map to one topic (apps.chat.fanout.topics_for)."""

    APPROVAL_REQUESTED = "approval_requested", "Submitted for approval (with Approve / Reject in Slack)"
    DECIDED = "decided", "Approved or rejected"
    APPROVAL_WITHDRAWN = "approval_withdrawn", "Approval withdrawn by an edit"
    FREEZE_EXCEPTION = "freeze_exception", "Freeze exception requested"
    STARTED = "started", "Change started"
    FAILED = "failed", "Change failed"
    BACKED_OUT = "backed_out", "Change backed out"
    UNPLANNED_PRODUCTION = "unplanned_production", "Unplanned change recorded in production"
    INCIDENT_OPENED = "incident_opened", "Incident opened (with its top suspects)"
    DIGEST = "digest", 'Daily "production changes today" digest'


class SlackOutcome(models.TextChoices):
    DONE = "done", "Decision recorded"
    REFUSED = "refused", "Refused"
    MODAL = "modal", "Note asked for"
