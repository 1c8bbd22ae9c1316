"""Reads for camera-site governance: query helpers that take the requesting user and restrict by
it.
"""
