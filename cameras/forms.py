"""Forms for cameras: input validation only; rules live in services."""
