"""Serializers for access control's API: fields listed explicitly, never __all__."""
