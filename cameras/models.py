"""Cameras, their per-camera credentials, the camera adapters (frame upload, smart-camera feed),
plate OCR and camera health.
"""
