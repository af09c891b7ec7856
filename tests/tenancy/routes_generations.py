"""generations/urls.py and webhook routes (see tests/tenancy/routes.py)."""
OBJECT_ROUTES: dict = {
    "generate": lambda w: {"pk": w.project.pk},
    "generate_options": lambda w: {"pk": w.project.pk},
    "generate_estimate": lambda w: {"pk": w.project.pk},
    "generate_model_images": lambda w: {"pk": w.project.pk},
    "generate_poses": lambda w: {"pk": w.project.pk},
    "project_batches": lambda w: {"pk": w.project.pk},
    "sku_tasks": lambda w: {"pk": w.sku.pk},
    "task_card": lambda w: {"pk": w.task.pk},
    "task_regenerate": lambda w: {"pk": w.task.pk},
    "task_settle": lambda w: {"pk": w.task.pk},
    "review_board": lambda w: {"pk": w.project.pk},
    "review_bulk_approve": lambda w: {"pk": w.project.pk},
    "review_decide": lambda w: {"pk": w.output.pk},
    "client_board": lambda w: {"pk": w.project.pk},
    "client_decide": lambda w: {"pk": w.output.pk},
    "client_bulk_approve": lambda w: {"pk": w.project.pk},
    "output_regenerate": lambda w: {"pk": w.output.pk},
    "output_file": lambda w: {"pk": w.output.pk},
    "output_thumbnail": lambda w: {"pk": w.output.pk},
    "project_export_zip": lambda w: {"pk": w.project.pk},
    "account_edit": lambda w: {"pk": w.account.pk},
    "account_test": lambda w: {"pk": w.account.pk},
    "account_make_default": lambda w: {"pk": w.account.pk},
    "generate_skus": lambda w: {"pk": w.project.pk},
    "huhu_import_models": lambda w: {"pk": w.program.pk},
    "huhu_sync_poses": lambda w: {"pk": w.program.pk},
    "account_sync_credits": lambda w: {"pk": w.account.pk},
    "project_export_manifest": lambda w: {"pk": w.project.pk},
    "export_job": lambda w: {"pk": _export_job(w).pk},
    "export_job_download": lambda w: {"pk": _export_job(w).pk},
    "bulk_generate": lambda w: {"pk": w.project.pk},
    "bulk_estimate": lambda w: {"pk": w.project.pk},
    "project_spend": lambda w: {"pk": w.project.pk},
    "project_budget": lambda w: {"pk": w.project.pk},
    "batch_panel": lambda w: {"pk": w.batch.pk},
    "batch_pause": lambda w: {"pk": w.batch.pk},
    "batch_resume": lambda w: {"pk": w.batch.pk},
    "batch_cancel": lambda w: {"pk": w.batch.pk},
    "batch_retry_failed": lambda w: {"pk": w.batch.pk},
    "batch_run_rest": lambda w: {"pk": w.batch.pk},
    "comparison_new": lambda w: {"pk": w.project.pk},
    "comparison_skus": lambda w: {"pk": w.project.pk},
    "project_comparisons": lambda w: {"pk": w.project.pk},
    "comparison_detail": lambda w: {"pk": _comparison(w).pk},
    "comparison_winner": lambda w: {"pk": _comparison(w).pk},
    "sku_huhu": lambda w: {"pk": w.sku.pk},
    "sku_huhu_read": lambda w: {"pk": w.sku.pk},
    "sku_huhu_choose": lambda w: {"pk": w.sku.pk},
    "sku_uwear": lambda w: {"pk": w.sku.pk},
    "sku_uwear_create": lambda w: {"pk": w.sku.pk},
    "sku_uwear_update": lambda w: {"pk": w.sku.pk},
    "sku_uwear_delete": lambda w: {"pk": w.sku.pk},
    "model_uwear": lambda w: {"pk": w.fashion_model.pk},
    "model_uwear_save": lambda w: {"pk": w.fashion_model.pk},
    "model_uwear_update": lambda w: {"pk": w.fashion_model.pk},
    "model_uwear_delete": lambda w: {"pk": w.fashion_model.pk},
    "generate_prompt_help": lambda w: {"pk": w.project.pk},
    "moderation_lane": lambda w: {"pk": w.project.pk},
    "moderation_release": lambda w: {"pk": w.output.pk},
    "moderation_discard": lambda w: {"pk": w.output.pk},
    "huhu_model_generate": lambda w: {"pk": w.program.pk},
    "huhu_model_request": lambda w: {"pk": _huhu_request(w).pk},
    "huhu_model_request_save": lambda w: {"pk": _huhu_request(w).pk},
    "huhu_model_request_resume": lambda w: {"pk": _huhu_request(w).pk},
    "huhu_model_candidate": lambda w: {"pk": _huhu_request(w).pk, "index": 0},
}
TEAM_ROUTES: set[str] = {"account_list", "account_create"}
PUBLIC_ROUTES: set[str] = {"vendor_webhook"}  # signed per vendor; tests/generations/test_webhook_base.py


def _comparison(w):
    """Team A's comparison of its SKU (the world has none of its own): its batch and task belong to it."""
    from generations.models import Batch, Comparison

    comparison = Comparison.objects.create(project=w.project, label=f"{w.task.prompt} comparison", winner=w.task)
    Batch.objects.filter(pk=w.batch.pk).update(comparison=comparison)
    return comparison


def _export_job(w):
    """Team A's finished background export of its project, its zip in storage."""
    from django.core.files.base import ContentFile

    from generations.models import ExportJob, ExportState

    job = ExportJob.objects.create(project=w.project, team=w.project.program.team, state=ExportState.DONE, total=1,
                                   done=1)
    job.file.save("export.zip", ContentFile(f"{w.task.prompt} zip".encode()))
    return job


def _huhu_request(w):
    """Team A's finished Huhu face request with one candidate in storage, saved once to its model."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from generations.models import HuhuImageRequest
    from tests.factories import image_bytes

    name = default_storage.save("huhu/tenancy.png", ContentFile(image_bytes()))
    return HuhuImageRequest.objects.create(
        team=w.team_a, account=w.account, program=w.program, fashion_model=w.fashion_model, kind="face",
        prompt=w.task.prompt, form_token=f"{w.task.prompt}-huhu", request_id="req-tenancy", status="completed",
        message=w.task.prompt, results=[{"model_image_id": "x.png", "url": "https://s3.example/x.png", "file": name,
                                         "thumbnail": name, "width": 64, "height": 96}],
        saved=[{"model_image_id": "x.png", "fashion_model_id": w.fashion_model.pk, "image_id": w.model_image.pk}])
