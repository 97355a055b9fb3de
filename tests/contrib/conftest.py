# The API tests' planned change on web01..03.prod and its approval.
from tests.api.conftest import approve, hosts, planned  # noqa: F401
