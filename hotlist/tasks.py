"""Celery tasks for hotlists and alerts: adapters that take ids, load, call one service."""
