from django.urls import path

from .views import accounts, huhu, client, export, generate, outputs, progress, review
from .views import bulk, comparisons
from .views import vendor_panels
from .views import moderation
from .views import huhu_models

urlpatterns = [
    # Generate (roles.GENERATE)
    path("projects/<int:pk>/generate/", generate.generate, name="generate"),
    path("projects/<int:pk>/generate/options/", generate.generate_options, name="generate_options"),
    path("projects/<int:pk>/generate/estimate/", generate.generate_estimate, name="generate_estimate"),
    path("projects/<int:pk>/generate/model-images/", generate.generate_model_images, name="generate_model_images"),
    path("projects/<int:pk>/generate/poses/", generate.generate_poses, name="generate_poses"),
    path("projects/<int:pk>/generate/skus/", generate.generate_skus, name="generate_skus"),
    # Progress fragments (poll every 2 s, 286 when done)
    path("projects/<int:pk>/batches/", progress.project_batches, name="project_batches"),
    path("skus/<int:pk>/tasks/", progress.sku_tasks, name="sku_tasks"),
    path("tasks/<int:pk>/card/", progress.task_card, name="task_card"),
    path("tasks/<int:pk>/regenerate/", review.task_regenerate, name="task_regenerate"),
    path("tasks/<int:pk>/settle/", review.task_settle, name="task_settle"),  # outcome unknown (roles.REVIEW)
    # Review (roles.REVIEW) and client approval (roles.CLIENT_REVIEW)
    path("projects/<int:pk>/review/", review.review_board, name="review_board"),
    path("projects/<int:pk>/review/bulk-approve/", review.review_bulk_approve, name="review_bulk_approve"),
    path("outputs/<int:pk>/review/", review.review_decide, name="review_decide"),
    path("projects/<int:pk>/approve/", client.client_board, name="client_board"),
    path("outputs/<int:pk>/approve/", client.client_decide, name="client_decide"),
    # Output files from our storage, after a tenancy check
    path("outputs/<int:pk>/file/", outputs.output_file, name="output_file"),
    path("outputs/<int:pk>/thumbnail/", outputs.output_thumbnail, name="output_thumbnail"),
    # Vendor accounts (roles.MANAGE_ACCOUNTS)
    path("accounts/", accounts.account_list, name="account_list"),
    path("accounts/new/", accounts.account_create, name="account_create"),
    path("accounts/<int:pk>/", accounts.account_edit, name="account_edit"),
    path("accounts/<int:pk>/test/", accounts.account_test, name="account_test"),
    path("accounts/<int:pk>/default/", accounts.account_make_default, name="account_make_default"),
    # Export of approved images (roles.EXPORT)
    path("projects/<int:pk>/export.zip", export.project_export_zip, name="project_export_zip"),
    path("projects/<int:pk>/manifest.csv", export.project_export_manifest, name="project_export_manifest"),
    # Collections at scale: bulk generate with a pilot, budget and spend, batch controls (roles.GENERATE)
    path("projects/<int:pk>/bulk/", bulk.bulk_generate, name="bulk_generate"),
    path("projects/<int:pk>/bulk/estimate/", bulk.bulk_estimate, name="bulk_estimate"),
    path("projects/<int:pk>/spend/", bulk.project_spend, name="project_spend"),
    path("projects/<int:pk>/budget/", bulk.project_budget, name="project_budget"),
    path("batches/<int:pk>/", bulk.batch_panel, name="batch_panel"),
    path("batches/<int:pk>/pause/", bulk.batch_pause, name="batch_pause"),
    path("batches/<int:pk>/resume/", bulk.batch_resume, name="batch_resume"),
    path("batches/<int:pk>/cancel/", bulk.batch_cancel, name="batch_cancel"),
    path("batches/<int:pk>/retry-failed/", bulk.batch_retry_failed, name="batch_retry_failed"),
    path("batches/<int:pk>/run-rest/", bulk.batch_run_rest, name="batch_run_rest"),
    # Vendor comparisons (launch: roles.GENERATE; winner: roles.REVIEW)
    path("projects/<int:pk>/compare/", comparisons.comparison_new, name="comparison_new"),
    path("projects/<int:pk>/comparisons/", comparisons.project_comparisons, name="project_comparisons"),
    path("comparisons/<int:pk>/", comparisons.comparison_detail, name="comparison_detail"),
    path("comparisons/<int:pk>/winner/", comparisons.comparison_winner, name="comparison_winner"),
    # Vendor-specific objects: Uwear clothing items (SKU page) and avatars (model page) (roles.EDIT); the generate
    # form's prompt helpers (roles.GENERATE). generations/views/vendor_panels.py
    path("skus/<int:pk>/uwear/", vendor_panels.sku_uwear, name="sku_uwear"),
    path("skus/<int:pk>/uwear/create/", vendor_panels.sku_uwear_create, name="sku_uwear_create"),
    path("skus/<int:pk>/uwear/update/", vendor_panels.sku_uwear_update, name="sku_uwear_update"),
    path("skus/<int:pk>/uwear/delete/", vendor_panels.sku_uwear_delete, name="sku_uwear_delete"),
    path("models/<int:pk>/uwear/", vendor_panels.model_uwear, name="model_uwear"),
    path("models/<int:pk>/uwear/save/", vendor_panels.model_uwear_save, name="model_uwear_save"),
    path("models/<int:pk>/uwear/update/", vendor_panels.model_uwear_update, name="model_uwear_update"),
    path("models/<int:pk>/uwear/delete/", vendor_panels.model_uwear_delete, name="model_uwear_delete"),
    path("projects/<int:pk>/generate/prompt-help/", generate.generate_prompt_help, name="generate_prompt_help"),
    # Moderation lane: outputs held by the NSFW gate (roles.REVIEW)
    path("projects/<int:pk>/moderation/", moderation.moderation_lane, name="moderation_lane"),
    path("outputs/<int:pk>/moderation/release/", moderation.moderation_release, name="moderation_release"),
    path("outputs/<int:pk>/moderation/discard/", moderation.moderation_discard, name="moderation_discard"),
    # Huhu catalog syncs (worker jobs)
    path("programs/<int:pk>/huhu/import-models/", huhu.huhu_import_models, name="huhu_import_models"),
    path("programs/<int:pk>/huhu/sync-poses/", huhu.huhu_sync_poses, name="huhu_sync_poses"),
    path("accounts/<int:pk>/sync-credits/", huhu.account_sync_credits, name="account_sync_credits"),
    path("skus/<int:pk>/huhu/", huhu.sku_huhu, name="sku_huhu"),
    path("skus/<int:pk>/huhu/read/", huhu.sku_huhu_read, name="sku_huhu_read"),
    path("skus/<int:pk>/huhu/choose/", huhu.sku_huhu_choose, name="sku_huhu_choose"),
    # Huhu faces / model images / poses for the model gallery (create and save: roles.EDIT; the request page polls)
    path("programs/<int:pk>/huhu/generate-models/", huhu_models.huhu_model_generate, name="huhu_model_generate"),
    path("huhu/model-requests/<int:pk>/", huhu_models.huhu_model_request, name="huhu_model_request"),
    path("huhu/model-requests/<int:pk>/save/", huhu_models.huhu_model_request_save, name="huhu_model_request_save"),
    path("huhu/model-requests/<int:pk>/check/", huhu_models.huhu_model_request_resume,
         name="huhu_model_request_resume"),
    path("huhu/model-requests/<int:pk>/candidates/<int:index>/", huhu_models.huhu_model_candidate,
         name="huhu_model_candidate"),
]
