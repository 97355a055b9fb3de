"""One model instance per related row for a whole page of objects, instead of a select_related copy per object."""

from collections.abc import Iterable, Sequence

from django.db.models import Model


def attach_shared(instances: Sequence[Model], field_name: str, *, known: Iterable[Model] = ()) -> None:
    """Set ``instance.<field_name>`` on every instance from one ``in_bulk`` query (rows in ``known`` are reused).

    Building the same few environments or teams once per change was a large part of the Python cost of the
    calendar and of a suspects lookup; a shared instance is read-only in those paths.
    """
    if not instances:
        return
    field = type(instances[0])._meta.get_field(field_name)
    related = {row.pk: row for row in known}
    wanted = {getattr(instance, field.attname) for instance in instances} - set(related) - {None}
    if wanted:
        related |= field.related_model.objects.in_bulk(wanted)
    for instance in instances:
        field.set_cached_value(instance, related.get(getattr(instance, field.attname)))
