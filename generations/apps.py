from django.apps import AppConfig


class GenerationsConfig(AppConfig):
    name = "generations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Each vendor package connects its own signal handlers (ArtEmotion's Vision: hold new outputs for the NSFW
        # gate, caption new garment images), through the registry: the core names no vendor.
        from catalog import signals as catalog_signals

        from . import batch_counts
        from .vendors import registry

        registry.connect_all()
        batch_counts.connect()  # the ledger's charges and refunds into their batch's counter
        # A finished zip import moves its project Creating → Created (the catalog only announces it).
        catalog_signals.project_import_finished.connect(_import_finished, dispatch_uid="generations.import_finished")
        # The catalog asks what runs on a SKU, image, model or pose before deleting it (catalog/usage.py).
        from catalog import usage

        from . import catalog_usage

        usage.register(catalog_usage.check)


def _import_finished(sender, project, **kwargs):
    from . import lifecycle

    lifecycle.finish_project_import(project)
