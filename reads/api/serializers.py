"""Serializers for the read store's API: fields listed explicitly, never __all__."""
