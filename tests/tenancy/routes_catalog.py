"""catalog/urls.py routes (see tests/tenancy/routes.py)."""
OBJECT_ROUTES = {
    "program_detail": lambda w: {"pk": w.program.pk},
    "project_create": lambda w: {"pk": w.program.pk},
    "project_detail": lambda w: {"pk": w.project.pk},
    "sku_create": lambda w: {"pk": w.project.pk},
    "sku_detail": lambda w: {"pk": w.sku.pk},
    "sku_rename": lambda w: {"pk": w.sku.pk},
    "garment_upload": lambda w: {"pk": w.sku.pk},
    "garment_image_update": lambda w: {"pk": w.garment.pk},
    "model_gallery": lambda w: {"pk": w.program.pk},
    "model_create": lambda w: {"pk": w.program.pk},
    "model_detail": lambda w: {"pk": w.fashion_model.pk},
    "model_image_upload": lambda w: {"pk": w.fashion_model.pk},
    "pose_library": lambda w: {"pk": w.program.pk},
    "pose_create": lambda w: {"pk": w.program.pk},
    "style_list": lambda w: {"pk": w.program.pk},
    "style_create": lambda w: {"pk": w.program.pk},
    "style_edit": lambda w: {"pk": w.style.pk},
    "project_import": lambda w: {"pk": w.project.pk},
    "import_detail": lambda w: {"pk": w.zip_import.pk},
    "s3_import_start": lambda w: {"pk": w.project.pk},
    "s3_import_complete": lambda w: {"pk": w.zip_import.pk},
    "s3_import_abort": lambda w: {"pk": w.zip_import.pk},
}
TEAM_ROUTES: set[str] = set()
PUBLIC_ROUTES: set[str] = set()
