from django import template

register = template.Library()


@register.filter
def audit_display(value):
    """Render a before/after value from the activity log for people: lists joined, empty shown as a dash."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return value
