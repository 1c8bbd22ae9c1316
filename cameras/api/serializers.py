"""Serializers for cameras's API: fields listed explicitly, never __all__."""
