from django.urls import include, path

from .vendors import registry
from .views import accounts, bulk, client, comparisons, export, fix_output, generate, outputs, progress, review

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
    path("projects/<int:pk>/approve/bulk/", client.client_bulk_approve, name="client_bulk_approve"),
    # Fix one image at a time: remake one rejected output (roles.GENERATE)
    path("outputs/<int:pk>/regenerate/", fix_output.output_regenerate, name="output_regenerate"),
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
    path("exports/<int:pk>/", export.export_job, name="export_job"),
    path("exports/<int:pk>/download/", export.export_job_download, name="export_job_download"),
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
    path("projects/<int:pk>/compare/skus/", comparisons.comparison_skus, name="comparison_skus"),
    path("projects/<int:pk>/comparisons/", comparisons.project_comparisons, name="project_comparisons"),
    path("comparisons/<int:pk>/", comparisons.comparison_detail, name="comparison_detail"),
    path("comparisons/<int:pk>/winner/", comparisons.comparison_winner, name="comparison_winner"),
    # The generate form's prompt helpers (roles.GENERATE): a vendor's suggested prompt, the garment description
    path("projects/<int:pk>/generate/prompt-help/", generate.generate_prompt_help, name="generate_prompt_help"),
]

# What the vendor packages serve (their panels, syncs, lanes), read from the registry: this module imports none.
urlpatterns += [path("", include(module)) for module in registry.url_modules()]
