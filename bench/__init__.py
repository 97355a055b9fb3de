"""`make bench`: the app measured against the raw-database limit on a synthetic history (docs/benchmarks.md).

generate  synthetic inventory and history, deterministic per day (the recent days are the same at every scale)
load      COPY into the app's own tables, secondary indexes dropped around it, then VACUUM ANALYZE
queries   the raw SQL each app path is compared with (psycopg 3, cast parameters, same indexes)
measure   timing and percentiles
scenarios the raw/app pairs: suspects, calendar week, collisions
ingest_load  gunicorn + concurrent HTTP clients against raw inserts of the same rows
report    the results table and docs/benchmarks.md
runner    the whole run, phase by phase (apps/dashboard/management/commands/bench.py calls it)
"""
