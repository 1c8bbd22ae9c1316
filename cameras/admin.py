"""Admin registrations for cameras."""
