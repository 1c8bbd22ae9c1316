"""API views for cameras: ViewSets that declare `required_permissions`."""
