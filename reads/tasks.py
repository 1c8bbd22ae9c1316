"""Celery tasks for the read store: adapters that take ids, load, call one service."""
