from django.apps import AppConfig


class GenerationsConfig(AppConfig):
    name = "generations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Vision hooks (generations/vision.py): hold new outputs for the NSFW gate, caption new garment images.
        from . import vision

        vision.connect()
        # The catalog asks what runs on a SKU, image, model or pose before deleting it (catalog/usage.py).
        from catalog import usage

        from . import catalog_usage

        usage.register(catalog_usage.check)
