"""Tables for the read store's list pages."""
