"""Replay service calls at a past moment, so the demo history carries the story's times.

The services stamp activity entries, approvals and actual start/end times with ``timezone.now()``.
Demo history lies in the past, so instead of rewriting those rows afterwards (the activity log is
append-only, by design) the demo runs each step with the clock set to when it happened.
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
