"""Uwear's pages: clothing items on the SKU page and avatars on the fashion model page (roles.EDIT), loaded into the
core pages as panels (UwearAdapter.contributions). Mounted at the site root through the registry."""
from django.urls import path

from generations.vendors.uwear import views

urlpatterns = [
    path("skus/<int:pk>/uwear/", views.sku_uwear, name="sku_uwear"),
    path("skus/<int:pk>/uwear/create/", views.sku_uwear_create, name="sku_uwear_create"),
    path("skus/<int:pk>/uwear/update/", views.sku_uwear_update, name="sku_uwear_update"),
    path("skus/<int:pk>/uwear/delete/", views.sku_uwear_delete, name="sku_uwear_delete"),
    path("models/<int:pk>/uwear/", views.model_uwear, name="model_uwear"),
    path("models/<int:pk>/uwear/save/", views.model_uwear_save, name="model_uwear_save"),
    path("models/<int:pk>/uwear/update/", views.model_uwear_update, name="model_uwear_update"),
    path("models/<int:pk>/uwear/delete/", views.model_uwear_delete, name="model_uwear_delete"),
]
