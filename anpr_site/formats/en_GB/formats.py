"""Control-room date formats: 24-hour clock with seconds (British English otherwise)."""

DATETIME_FORMAT = "j M Y H:i:s"
SHORT_DATETIME_FORMAT = "d/m/Y H:i:s"
TIME_FORMAT = "H:i:s"
