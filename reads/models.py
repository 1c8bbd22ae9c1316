"""The read store: ingest, day partitions, search, analytics, evidential export and retention."""
