"""Camera sites and their governance: deployment assessments, privacy impact assessments,
consultation, reviews and decommissioning.
"""
