"""JSON parsing that answers 400 to every malformed body, hostile nesting included, and to every body holding text
the database cannot store: the one place every API body passes through (the API takes JSON only)."""

from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser

from apps.platform.api.fields import find_unstorable


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            # json.loads gives up on a few hundred levels of nesting with RecursionError, which DRF lets through.
            raise ParseError("JSON parse error - nested too deeply.") from None
        refuse_unstorable(data)
        return data


def refuse_unstorable(data) -> None:
    """A 400 naming the field (``{"title": ["Null characters (U+0000) are not allowed."]}``) when the body holds
    text PostgreSQL cannot store (U+0000, a lone surrogate) or nests too deeply: checked once for the whole body,
    before any serializer, view or service sees it, so no field can be forgotten."""
    found = find_unstorable(data)
    if found is None:
        return
    if not found.path:
        raise ParseError(f"JSON body: {found.problem}")
    field = found.path[0]
    if not isinstance(field, str) or (found.in_name and len(found.path) == 1):
        # A top-level key that cannot be stored cannot be the key of the answer; a top-level list has no fields.
        raise ParseError(f"JSON body, at {found.location()}: {found.problem}")
    where = found.location() + (" (the name itself)" if found.in_name else "")
    raise ValidationError({field: [found.problem if where == field else f"{where}: {found.problem}"]})
