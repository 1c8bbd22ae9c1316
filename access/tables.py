"""Tables for access control's list pages."""
