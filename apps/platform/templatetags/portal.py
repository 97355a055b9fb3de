from django import template

register = template.Library()


@register.filter
def audit_display(value):
    """Render a before/after value from the activity log for people: lists joined, empty shown as a dash."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(_item_text(item) for item in value)
    return value


def _item_text(item) -> str:
    # Links are stored as {"kind": ..., "url": ...}: show them the way the change page does.
    if isinstance(item, dict) and "url" in item:
        return f"{item.get('kind', 'link')}: {item['url']}"
    return str(item)
