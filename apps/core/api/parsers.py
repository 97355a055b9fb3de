"""JSON parsing that answers 400 to every malformed body, hostile nesting included."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            # json.loads gives up on a few hundred levels of nesting with RecursionError, which DRF lets through.
            raise ParseError("JSON parse error - nested too deeply.") from None
