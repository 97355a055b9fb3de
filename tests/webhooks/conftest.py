import pytest


@pytest.fixture(autouse=True)
def allow_local_receivers(settings):
    """The receivers in these tests listen on 127.0.0.1: a private target, allowed only by this setting
    (apps/platform/outbound.py; tests/platform/test_outbound.py checks the refusals with it off)."""
    settings.OUTBOUND_ALLOW_PRIVATE = True
