"""API views for camera-site governance: ViewSets that declare `required_permissions`."""
