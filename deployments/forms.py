"""Forms for camera-site governance: input validation only; rules live in services."""
