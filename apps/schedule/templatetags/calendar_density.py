from django import template

register = template.Library()


@register.filter
def colliding(entries) -> int:
    """How many of these calendar entries collide: a closed "+N more" still says so."""
    return sum(1 for entry in entries if entry.collisions)
