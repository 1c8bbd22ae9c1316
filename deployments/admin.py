"""Admin registrations for camera-site governance."""
