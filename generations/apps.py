from django.apps import AppConfig


class GenerationsConfig(AppConfig):
    name = "generations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Vision hooks (generations/vision.py): hold new outputs for the NSFW gate, caption new garment images.
        from . import batch_counts, vision

        vision.connect()
        batch_counts.connect()  # the ledger's charges and refunds into their batch's counter
