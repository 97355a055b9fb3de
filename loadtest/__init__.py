"""``make load``: the real stack (gunicorn, Celery worker, PostgreSQL, Redis) under concurrent clients."""
