"""Forms for access control: input validation only; rules live in services."""
