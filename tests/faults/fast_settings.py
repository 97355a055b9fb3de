"""ChangePortal's settings with the clocks of retries and periodic jobs shortened, for the child processes
(gunicorn, Celery workers) of the fault tests: DJANGO_SETTINGS_MODULE=tests.faults.fast_settings.

Only durations change; every code path is the production one.
"""

import os

from changeportal.settings import *  # noqa: F403
from changeportal.settings import CELERY_BEAT_SCHEDULE

CELERY_BEAT_SCHEDULE = {
    name: entry | {"schedule": 1.0} if name in ("drain-outbox", "retry-webhooks") else entry
    for name, entry in CELERY_BEAT_SCHEDULE.items()
}
OUTBOX_DRAIN_GRACE_SECONDS = 1
WEBHOOK_LEASE_MARGIN_SECONDS = 1
WEBHOOK_FIRST_RETRY_SECONDS = 1
# The tests' receivers listen on 127.0.0.1, a private target that apps/platform/outbound.py refuses by default.
OUTBOUND_ALLOW_PRIVATE = True
if os.environ.get("FAULTS_MAIL_DIR"):
    # One file per sent message, so the test can count what was really sent.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = os.environ["FAULTS_MAIL_DIR"]
