"""API views for hotlists and alerts: ViewSets that declare `required_permissions`."""
