"""Forms for the read store: input validation only; rules live in services."""
