"""Celery tasks for camera-site governance: adapters that take ids, load, call one service."""
