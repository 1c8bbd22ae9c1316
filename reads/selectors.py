"""Reads for the read store: query helpers that take the requesting user and restrict by it."""
