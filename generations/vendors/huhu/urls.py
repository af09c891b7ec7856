"""Huhu's pages: catalog syncs (worker jobs), garment classification on the SKU page, credit history on the account
page, and faces / model images / poses for the model gallery. Mounted at the site root through the registry; the
core pages link here only through HuhuAdapter.contributions."""
from django.urls import path

from generations.vendors.huhu import model_views, views

urlpatterns = [
    # Catalog syncs (roles.EDIT; the account's credit history: roles.MANAGE_ACCOUNTS)
    path("programs/<int:pk>/huhu/import-models/", views.huhu_import_models, name="huhu_import_models"),
    path("programs/<int:pk>/huhu/sync-poses/", views.huhu_sync_poses, name="huhu_sync_poses"),
    path("accounts/<int:pk>/sync-credits/", views.account_sync_credits, name="account_sync_credits"),
    path("skus/<int:pk>/huhu/", views.sku_huhu, name="sku_huhu"),
    path("skus/<int:pk>/huhu/read/", views.sku_huhu_read, name="sku_huhu_read"),
    path("skus/<int:pk>/huhu/choose/", views.sku_huhu_choose, name="sku_huhu_choose"),
    # Faces / model images / poses (create and save: roles.EDIT; the request page polls)
    path("programs/<int:pk>/huhu/generate-models/", model_views.huhu_model_generate, name="huhu_model_generate"),
    path("huhu/model-requests/<int:pk>/", model_views.huhu_model_request, name="huhu_model_request"),
    path("huhu/model-requests/<int:pk>/save/", model_views.huhu_model_request_save, name="huhu_model_request_save"),
    path("huhu/model-requests/<int:pk>/check/", model_views.huhu_model_request_resume,
         name="huhu_model_request_resume"),
    path("huhu/model-requests/<int:pk>/candidates/<int:index>/", model_views.huhu_model_candidate,
         name="huhu_model_candidate"),
]
