"""Celery tasks for cameras: adapters that take ids, load, call one service."""
