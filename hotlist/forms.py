"""Forms for hotlists and alerts: input validation only; rules live in services."""
