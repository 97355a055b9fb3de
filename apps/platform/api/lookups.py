"""Detail routes addressed by numeric id or by a natural key (a host's hostname, a team's slug)."""

from rest_framework.exceptions import NotFound

MAX_REF_LENGTH = 253


class IdOrNaturalKeyLookupMixin:
    """``lookup_field`` names the natural key (it also gives the OpenAPI path parameter its string type);
    an all-digit value is tried as the id first, then as the key."""

    lookup_value_regex = r"[^/]+"
    lowercase_key = False

    def get_object(self):
        ref = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        queryset = self.get_queryset()
        obj = None
        if ref.isascii() and ref.isdigit() and len(ref) < 19:
            obj = queryset.filter(pk=int(ref)).first()
        if obj is None and len(ref) <= MAX_REF_LENGTH and "\x00" not in ref:
            key = ref.lower() if self.lowercase_key else ref
            obj = queryset.filter(**{self.lookup_field: key}).first()
        if obj is None:
            raise NotFound(f"No {queryset.model._meta.verbose_name} with id or {self.lookup_field} {ref!r}.")
        self.check_object_permissions(self.request, obj)
        return obj
