"""Writes for cameras: typed functions with keyword-only arguments including the acting user, each
in one transaction, writing audit and enqueueing work on commit.
"""
