from django.urls import path

from .views import gallery, hygiene, imports, poses, programs, projects, skus, styles, uploads

urlpatterns = [
    path("programs/<int:pk>/", programs.program_detail, name="program_detail"),
    path("programs/<int:pk>/projects/new/", programs.project_create, name="project_create"),
    path("projects/<int:pk>/", projects.project_detail, name="project_detail"),
    path("projects/<int:pk>/skus/new/", projects.sku_create, name="sku_create"),
    path("skus/<int:pk>/", skus.sku_detail, name="sku_detail"),
    path("skus/<int:pk>/rename/", projects.sku_rename, name="sku_rename"),
    path("skus/<int:pk>/garments/upload/", uploads.garment_upload, name="garment_upload"),
    path("garments/<int:pk>/", skus.garment_image_update, name="garment_image_update"),
    path("programs/<int:pk>/models/", gallery.model_gallery, name="model_gallery"),
    path("programs/<int:pk>/models/new/", gallery.model_create, name="model_create"),
    path("models/<int:pk>/", gallery.model_detail, name="model_detail"),
    path("models/<int:pk>/images/upload/", gallery.model_image_upload, name="model_image_upload"),
    path("programs/<int:pk>/poses/", poses.pose_library, name="pose_library"),
    path("programs/<int:pk>/poses/new/", poses.pose_create, name="pose_create"),
    path("programs/<int:pk>/styles/", styles.style_list, name="style_list"),
    path("programs/<int:pk>/styles/new/", styles.style_create, name="style_create"),
    path("styles/<int:pk>/edit/", styles.style_edit, name="style_edit"),
    path("projects/<int:pk>/import/", imports.project_import, name="project_import"),
    path("imports/<int:pk>/", imports.import_detail, name="import_detail"),
    path("projects/<int:pk>/import/s3/start/", imports.s3_import_start, name="s3_import_start"),
    path("imports/<int:pk>/s3/complete/", imports.s3_import_complete, name="s3_import_complete"),
    path("imports/<int:pk>/s3/abort/", imports.s3_import_abort, name="s3_import_abort"),
    # Catalog hygiene (views/hygiene.py): GET shows the confirmation, POST acts.
    path("skus/<int:pk>/archive/", hygiene.sku_archive, name="sku_archive"),
    path("skus/<int:pk>/unarchive/", hygiene.sku_unarchive, name="sku_unarchive"),
    path("garments/<int:pk>/delete/", hygiene.garment_image_delete, name="garment_image_delete"),
    path("garments/<int:pk>/replace/", hygiene.garment_image_replace, name="garment_image_replace"),
    path("models/<int:pk>/delete/", hygiene.model_delete, name="model_delete"),
    path("poses/<int:pk>/delete/", hygiene.pose_delete, name="pose_delete"),
]
