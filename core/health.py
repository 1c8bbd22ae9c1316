"""Liveness checks of the servers the back office cannot work without."""

import logging

import redis
from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        logger.exception("Health check: database unavailable")
        return False


def redis_ok() -> bool:
    try:
        with redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2) as client:
            return bool(client.ping())
    except (redis.RedisError, OSError):
        logger.exception("Health check: Redis unavailable")
        return False


def check_all() -> dict[str, bool]:
    return {"database": database_ok(), "redis": redis_ok()}
