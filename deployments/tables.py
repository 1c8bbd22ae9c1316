"""Tables for camera-site governance's list pages."""
