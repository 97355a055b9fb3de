# The API tests' planned change (on this module's hosts) and its approval.
from tests.api.conftest import approve, planned  # noqa: F401
