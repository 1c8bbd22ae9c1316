"""Admin registrations for reads."""
