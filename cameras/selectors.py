"""Reads for cameras: query helpers that take the requesting user and restrict by it."""
