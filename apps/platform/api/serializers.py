"""A ModelSerializer that builds its fields from the model once per class instead of once per instance."""

import copy

from rest_framework import serializers


class BuiltOnceModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer introspects the model (field info, kwargs, validators) on every instantiation: a
    fifth of a trivial API GET. The built fields depend only on the class (its Meta and declared fields), so they
    are built once and each instance gets a deep copy, which is how DRF itself gives every instance its own
    declared fields (``Field.__deepcopy__`` re-instantiates from the constructor arguments). Not for a subclass
    whose ``get_fields`` depends on the instance, its context or the request.
    """

    def get_fields(self):
        built = type(self).__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            type(self)._built_fields = built
        return copy.deepcopy(built)
