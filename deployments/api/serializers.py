"""Serializers for camera-site governance's API: fields listed explicitly, never __all__."""
