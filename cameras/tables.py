"""Tables for cameras's list pages."""
