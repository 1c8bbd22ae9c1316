"""Hotlists of vehicles of interest, their entries, the matching index, alerts and the live alert
stream.
"""
