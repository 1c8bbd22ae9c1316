"""Serializers for hotlists and alerts's API: fields listed explicitly, never __all__."""
