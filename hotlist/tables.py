"""Tables for hotlists and alerts's list pages."""
