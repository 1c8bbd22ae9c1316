"""Reads for hotlists and alerts: query helpers that take the requesting user and restrict by it."""
