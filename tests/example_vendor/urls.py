from django.urls import path

from . import views

urlpatterns = [path("skus/<int:pk>/atelier/", views.sku_panel, name="sku_atelier")]
