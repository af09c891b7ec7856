"""/api/v1/: the studio's REST API (issue 18). Schema at /api/v1/schema/, the reference page at /api/v1/docs/."""
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from . import views_catalog as catalog, views_generations as gen
from .views_download import download

app_name = "api"

router = SimpleRouter()
router.register("programs", catalog.ProgramViewSet, basename="program")
router.register("projects", catalog.ProjectViewSet, basename="project")
router.register("skus", catalog.SKUViewSet, basename="sku")
router.register("garment-images", catalog.GarmentImageViewSet, basename="garment-image")
router.register("imports", catalog.ZipImportViewSet, basename="import")
router.register("fashion-models", catalog.FashionModelViewSet, basename="fashion-model")
router.register("model-images", catalog.ModelImageViewSet, basename="model-image")
router.register("poses", catalog.PoseViewSet, basename="pose")
router.register("vendor-accounts", gen.VendorAccountViewSet, basename="vendor-account")
router.register("batches", gen.BatchViewSet, basename="batch")
router.register("tasks", gen.TaskViewSet, basename="task")
router.register("outputs", gen.OutputViewSet, basename="output")
router.register("credits", gen.CreditEntryViewSet, basename="credit")
router.register("exports", gen.ExportViewSet, basename="export")

urlpatterns = [
    path("generations/estimate/", gen.EstimateView.as_view(), name="generation-estimate"),
    path("generations/", gen.LaunchView.as_view(), name="generation-launch"),
    path("downloads/<str:token>/", download, name="download"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    *router.urls,
]
