"""Admin registrations for hotlists and alerts."""
