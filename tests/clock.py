"""Tests only: run code with the clock set to a chosen moment (``timezone.now`` patched).

Application code never patches the clock: its services take the time as ``at`` (the demo data passes the story's
moments). Tests use this to freeze "now" where a page or a query reads it.
"""

from contextlib import contextmanager
from datetime import datetime
from unittest import mock

from django.utils import timezone


@contextmanager
def replay_at(moment: datetime):
    if timezone.is_naive(moment):
        raise ValueError("Replay times must be timezone-aware.")
    with mock.patch.object(timezone, "now", new=lambda: moment):
        yield moment
