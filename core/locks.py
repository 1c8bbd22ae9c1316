"""A PostgreSQL advisory lock for jobs that must not run twice at once (across processes)."""

from contextlib import contextmanager

from django.db import connection


@contextmanager
def advisory_lock(key: int):
    """Try to take the lock `key` for this connection; yield whether it was taken, and give it
    back after."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = cursor.fetchone()[0]
        try:
            yield acquired
        finally:
            if acquired:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
