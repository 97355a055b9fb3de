from django import template

from apps.chat.forms import SlackLinkForm
from apps.chat.models import SlackUserLink

register = template.Library()


@register.inclusion_tag("chat/partials/slack_link.html", takes_context=True)
def slack_link_card(context):
    """The profile page's Slack card: which Slack member approve-from-Slack acts as for this user."""
    user = context["request"].user
    link = SlackUserLink.objects.filter(user=user).first()
    form = SlackLinkForm(initial={"slack_user_id": link.slack_user_id if link else ""})
    return {"link": link, "form": form, "request": context["request"], "csrf_token": context.get("csrf_token")}
