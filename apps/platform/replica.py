"""Reads of the GET-only API and the calendar feeds from a read replica (``DATABASE_REPLICA_URL``).

With a replica configured, settings add the ``replica`` alias, this router and ``ReplicaReadsMiddleware``. The
middleware marks a request as replica-readable when it is a GET or HEAD of the API (``/api/v1/``) or a feed
(``/feeds/``); while it runs, the router sends the ORM's reads there. Everything else reads and writes the
primary:

- every write, and every read inside a transaction on the primary (``transaction.atomic`` reads what it wrote);
- anything a credential depends on (tokens, users, sessions, groups): a replica a few seconds behind must not
  accept a token revoked on the primary;
- every other request (pages, POSTs): they read what the user just wrote.

A replica lags: a GET right after a POST may not see it yet. The API's GETs are idempotent reads that tolerate
that; a client that needs read-your-writes reads the answer of its POST.
"""

from contextvars import ContextVar

from django.db import connections

REPLICA = "replica"
READ_PREFIXES = ("/api/v1/", "/feeds/")
# Credentials and what they load: always read on the primary.
PRIMARY_APPS = {"accounts", "auth", "sessions", "contenttypes", "admin"}

_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


def replica_readable(request) -> bool:
    return request.method in ("GET", "HEAD") and request.path.startswith(READ_PREFIXES)


class ReplicaReadsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _replica_reads.set(replica_readable(request))
        try:
            return self.get_response(request)
        finally:
            _replica_reads.reset(token)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if not _replica_reads.get() or REPLICA not in connections.settings:
            return None
        if model._meta.app_label in PRIMARY_APPS or connections["default"].in_atomic_block:
            return None
        return REPLICA

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both aliases

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA  # the replica follows the primary's schema by replication
