"""Setting up a channel (who may, URL kept secret and checked), the Slack link on the profile page, and the other
events: quiet hours, the daily digest, incidents with their suspects, unplanned production changes."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from apps.audit.models import AuditEntry
from apps.changes.services.ingest import record_unplanned_change
from apps.chat import digest, services
from apps.chat.choices import ChatTopic
from apps.chat.models import ChatChannel, ChatDelivery, SlackUserLink
from apps.chat.tasks import retry_chat_deliveries
from apps.events.choices import DeliveryStatus
from tests.factories import HostFactory, environment

pytestmark = pytest.mark.django_db
# A Slack-shaped hook URL; its "secretTAIL" end is what the masked display may show, the rest must never be.
HOOK = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXsecretTAIL"


def test_the_url_is_stored_encrypted_and_shown_masked(team, lead, login, channel_for, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    channel = channel_for("https://93.184.215.14/services/T000/B000/secretTAIL", team=team)
    stored = ChatChannel.objects.get(pk=channel.pk)
    assert "secret" not in stored.url_encrypted and stored.url.endswith("/secretTAIL")
    assert stored.url_hint == "https://93.184.215.14/…TAIL"
    for page in ("/chat/", f"/chat/{channel.pk}/"):
        html = login(lead).get(page).content.decode()
        assert "93.184.215.14/…TAIL" in html and "secretTAIL" not in html
    entry = AuditEntry.objects.get(object_id=str(channel.pk), content_type__model="chatchannel")
    assert "secret" not in str(entry.changes) and entry.actor == lead


def test_a_lead_sets_up_a_channel_through_the_page(team, lead, login, settings, chat_receiver):
    client = login(lead)
    form = {
        "name": "Billing releases",
        "kind": "mattermost",
        "team": team.pk,
        "url": chat_receiver.url("/mm"),
        "topics": [ChatTopic.FAILED, ChatTopic.DIGEST],
        "timezone": "Europe/Berlin",
        "quiet_start": "22:00",
        "quiet_end": "07:00",
        "digest_hour": "8",
    }
    response = client.post("/chat/new/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    channel = ChatChannel.objects.get()
    assert (channel.owner, channel.team, channel.topics) == (lead, team, [ChatTopic.FAILED, ChatTopic.DIGEST])
    assert channel.quiet_start == time(22) and channel.url == chat_receiver.url("/mm")
    # Editing without a URL keeps the stored one.
    response = client.post(f"/chat/{channel.pk}/", form | {"url": "", "name": "Billing"})
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.name == "Billing" and channel.url == chat_receiver.url("/mm")


def test_unsafe_urls_bad_zones_and_portal_wide_channels_are_refused_on_the_form(team, lead, login, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    client = login(lead)
    base = {"name": "x", "kind": "slack", "team": team.pk, "timezone": "UTC", "digest_hour": "8"}
    response = client.post("/chat/new/", base | {"url": "http://169.254.169.254/latest"})
    assert response.status_code == 200 and "metadata address" in response.content.decode()
    response = client.post("/chat/new/", base | {"url": "https://93.184.215.14/x", "timezone": "Mars/Olympus"})
    assert response.status_code == 200 and "not a time zone" in response.content.decode()
    response = client.post("/chat/new/", base | {"url": "https://93.184.215.14/x", "team": ""})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert not ChatChannel.objects.exists()


def test_outsiders_cannot_manage_channels(team, outsider, requester, login, channel_for):
    channel = channel_for(HOOK.replace("hooks.slack.com", "93.184.215.14"), team=team)
    client = login(outsider)
    assert client.get("/chat/new/").status_code == 403
    assert client.get(f"/chat/{channel.pk}/").status_code == 404
    assert client.post(f"/chat/{channel.pk}/active/", {"active": "0"}).status_code == 404
    assert "No chat channels yet" in client.get("/chat/").content.decode()
    member = login(requester)  # a member, not a lead
    assert member.get(f"/chat/{channel.pk}/deliveries/").status_code == 404
    with pytest.raises(services.PermissionDenied):
        services.save_channel(
            actor=requester, channel=ChatChannel(name="x", kind="slack", team=team), url=HOOK, via="ui"
        )


def test_the_profile_page_links_a_slack_member(lead, outsider, login):
    client = login(lead)
    assert "Slack member ID" in client.get("/profile/").content.decode()
    client.post("/chat/slack-link/", {"slack_user_id": "u0lead0001"})
    assert SlackUserLink.objects.get(user=lead).slack_user_id == "U0LEAD0001"
    assert "U0LEAD0001" in client.get("/profile/").content.decode()
    other = login(outsider)
    response = other.post("/chat/slack-link/", {"slack_user_id": "U0LEAD0001"}, follow=True)
    assert "linked to another portal user" in response.content.decode()
    response = other.post("/chat/slack-link/", {"slack_user_id": "not an id"}, follow=True)
    assert "looks like U012AB3CDE" in response.content.decode()
    client = login(lead)  # the same test client: signed in as the outsider above
    response = client.post("/chat/slack-link/", {"slack_user_id": ""}, follow=True)
    assert "Slack unlinked" in response.content.decode()
    assert not SlackUserLink.objects.exists()


def test_quiet_hours_hold_messages_until_they_end(team, make_change, channel_for, chat_receiver):
    now = timezone.now()
    channel = channel_for(
        chat_receiver.url("/q"),
        team=team,
        topics=[ChatTopic.APPROVAL_REQUESTED],
        timezone="UTC",
        quiet_start=(now - timedelta(hours=1)).time(),
        quiet_end=(now + timedelta(hours=1)).time(),
    )
    make_change()
    delivery = ChatDelivery.objects.get(channel=channel)
    assert chat_receiver.requests == [] and delivery.held_for_quiet_hours
    assert abs(delivery.next_attempt_at - (now + timedelta(hours=1))) < timedelta(minutes=1)
    assert retry_chat_deliveries.apply().get() == 0  # still quiet
    ChatDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert retry_chat_deliveries.apply().get() == 1
    assert len(chat_receiver.bodies("/q")) == 1


def test_quiet_until_across_midnight_in_the_channels_zone():
    channel = ChatChannel(timezone="Europe/Berlin", quiet_start=time(22), quiet_end=time(7))
    late = datetime(2026, 12, 3, 22, 30, tzinfo=UTC)  # 23:30 in Berlin
    assert channel.quiet_until(late) == datetime(2026, 12, 4, 6, 0, tzinfo=UTC)
    early = datetime(2026, 12, 4, 5, 0, tzinfo=UTC)  # 06:00 in Berlin
    assert channel.quiet_until(early) == datetime(2026, 12, 4, 6, 0, tzinfo=UTC)
    assert channel.quiet_until(datetime(2026, 12, 4, 12, 0, tzinfo=UTC)) is None


def test_daily_digest_once_a_day_at_its_hour_and_dropped_in_quiet_hours(
    team, make_change, channel_for, chat_receiver, django_capture_on_commit_callbacks
):
    today = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0)
    change = make_change(start=today, title="Rotate *certs*")
    make_change(start=today + timedelta(days=2), title="Later")
    channel = channel_for(chat_receiver.url("/d"), kind="mattermost", team=team, topics=[ChatTopic.DIGEST])
    assert digest.create_digests(today.replace(hour=7)) == []  # before the digest hour (8:00 UTC)
    [delivery_id] = digest.create_digests(today.replace(hour=9))
    assert digest.create_digests(today.replace(hour=11)) == []  # one a day
    text = ChatDelivery.objects.get(pk=delivery_id).body["attachments"][0]["text"]
    assert change.reference in text and r"Rotate \*certs\*" in text and "Later" not in text

    ChatChannel.objects.filter(pk=channel.pk).update(quiet_start=time(0), quiet_end=time(23, 59))
    tomorrow = today + timedelta(days=1)
    assert digest.create_digests(tomorrow.replace(hour=9)) == []  # quiet: dropped, not held
    assert not ChatDelivery.objects.filter(key=f"digest:{tomorrow.date()}").exists()


def test_failing_channel_is_marked_unhealthy_and_its_owner_emailed_once(
    team, lead, make_change, channel_for, chat_receiver, settings, django_capture_on_commit_callbacks
):
    settings.CHAT_UNHEALTHY_AFTER = 2
    lead.email = "lead@example.com"
    lead.save()
    channel = channel_for(chat_receiver.url("/bad"), team=team, topics=[ChatTopic.APPROVAL_REQUESTED])
    chat_receiver.answers = [(500, {}, b"no")] * 6
    for _ in range(3):
        make_change()
    channel.refresh_from_db()
    assert channel.consecutive_failures == 3 and channel.unhealthy_since is not None
    emails = [message for message in mail.outbox if "keeps failing" in message.subject]
    assert [message.to for message in emails] == [["lead@example.com"]]
    assert "HTTP 500" in emails[0].body and f"/chat/{channel.pk}/" in emails[0].body

    chat_receiver.answers = []
    delivery = ChatDelivery.objects.filter(channel=channel).order_by("id").first()
    ChatDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        retry_chat_deliveries.apply()
    channel.refresh_from_db()
    assert channel.is_healthy and channel.consecutive_failures == 0


def test_a_429_retry_after_is_honoured(team, make_change, channel_for, chat_receiver):
    channel = channel_for(chat_receiver.url("/busy"), team=team, topics=[ChatTopic.APPROVAL_REQUESTED])
    chat_receiver.answers = [(429, {"Retry-After": "600"}, b"rate limited")]
    before = timezone.now()
    make_change()
    delivery = ChatDelivery.objects.get(channel=channel)
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.next_attempt_at >= before + timedelta(seconds=599)


def test_an_unplanned_production_change_is_posted_to_the_portal_wide_channel(
    lead, channel_for, chat_receiver, django_capture_on_commit_callbacks
):
    channel_for(chat_receiver.url("/all"), kind="teams", topics=[ChatTopic.UNPLANNED_PRODUCTION])
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        record_unplanned_change(
            actor=lead,
            hosts=[HostFactory(hostname="pay01.prod")],
            title="Hotfix @here",
            status="completed",
            environment=environment("prod"),
            planned_start=now - timedelta(minutes=5),
            planned_end=now,
            actual_start=now - timedelta(minutes=5),
            actual_end=now,
        )
        record_unplanned_change(
            actor=lead,
            hosts=[HostFactory(hostname="pay01.qa", environment=environment("qa"))],
            title="QA tweak",
            status="completed",
            environment=environment("qa"),
            planned_start=now - timedelta(minutes=5),
            planned_end=now,
        )
    [body] = chat_receiver.bodies("/all")
    texts = [block.get("text", "") for block in body["attachments"][0]["content"]["body"]]
    assert any("Unplanned change recorded in production" in text for text in texts)
    assert not any("QA tweak" in text for text in texts)


def test_an_incident_is_posted_with_its_top_suspects(
    team, lead, make_change, channel_for, chat_receiver, django_capture_on_commit_callbacks
):
    from apps.incidents.services import open_incident

    host = HostFactory(hostname="web07.prod")
    started = timezone.now()
    suspect = make_change(hosts=[host], start=started - timedelta(minutes=30), title="Upgrade nginx")
    channel_for(chat_receiver.url("/inc"), kind="slack", topics=[ChatTopic.INCIDENT_OPENED])
    channel_for(chat_receiver.url("/suspect-team"), kind="mattermost", team=team, topics=[ChatTopic.INCIDENT_OPENED])
    with django_capture_on_commit_callbacks(execute=True):
        open_incident(actor=lead, title="5xx on web07 <!here>", started_at=started, severity="sev2", hosts=[host])
    [body] = chat_receiver.bodies("/inc")
    raw = str(body)
    assert "Incident opened" in raw and "&lt;!here&gt;" in raw and "<!here>" not in raw
    assert "Top suspects" in raw and suspect.reference in raw
    # The team whose change is a top suspect hears it in its own channel too.
    [team_body] = chat_receiver.bodies("/suspect-team")
    assert "Upgrade nginx" in team_body["attachments"][0]["text"]
