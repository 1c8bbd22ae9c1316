"""API views for reads: ViewSets that declare `required_permissions`."""
