"""Catalog resources: programs, projects, SKUs, garment images, zip imports, fashion models, model images, poses.

Writes go through the catalog's own forms and services (catalog/forms.py, catalog/uploads.py,
catalog/zip_ingest.py), so the API refuses what the pages refuse, with the same words.
"""
from django.db import transaction
from django.http import Http404, QueryDict
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from catalog import uploads, zip_ingest
from catalog.forms import ProjectForm, SKUForm
from catalog.models import SKU, FashionModel, GarmentImage, ModelImage, Pose, Program, Project, ZipImport
from studio import roles
from studio.ids import parse_id

from . import idempotency, serializers as s
from .errors import ApiError
from .garments import fetch_garment


def team_of(request):
    return request._request.team


def form_errors(form) -> ApiError:
    fields = {name: [str(e) for e in errors] for name, errors in form.errors.items() if name != "__all__"}
    general = [str(e) for e in form.errors.get("__all__", [])]
    from rest_framework.exceptions import ValidationError

    detail = dict(fields)
    if general:
        detail["non_field_errors"] = general
    return ValidationError(detail)


def as_form_data(data: dict, fields) -> QueryDict:
    q = QueryDict(mutable=True)
    for name in fields:
        if name in data and data[name] is not None:
            value = data[name]
            if isinstance(value, list):
                q.setlist(name, [str(v) for v in value])
            else:
                q[name] = str(value)
    return q


def int_filter(request, name: str):
    raw = request.query_params.get(name)
    if raw is None:
        return None
    value = parse_id(raw)
    if value is None:
        raise ApiError(f"{name} must be an id.", status_code=400, field=name)
    return value


class TeamViewSet(viewsets.GenericViewSet):
    """Every queryset goes through for_team: another team's object is a 404."""

    model = None
    filters: tuple[str, ...] = ()
    lookup_value_regex = r"[0-9]+"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.model is not None:
            cls.queryset = cls.model.objects.none()  # for the schema only; get_queryset is the team's

    def base_queryset(self):
        return self.model.objects.for_team(team_of(self.request))

    def get_object(self):
        if parse_id(self.kwargs.get(self.lookup_field)) is None:  # 20 digits: a 404, never an overflow
            raise Http404("Not found.")
        return super().get_object()

    def get_queryset(self):
        qs = self.base_queryset()
        for name in self.filters:
            value = int_filter(self.request, name)
            if value is not None:
                qs = qs.filter(**{f"{name}_id": value})
        return qs


class ProgramViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, TeamViewSet):
    """Brand workspaces the team owns or that were shared with it."""

    model = Program
    serializer_class = s.ProgramSerializer
    write_permission = roles.EDIT

    def create(self, request, *args, **kwargs):
        name = str(request.data.get("name") or "").strip()
        if not name:
            raise ApiError("A program needs a name.", status_code=400, field="name")
        program = Program.objects.create(team=team_of(request), name=name[:200])
        return Response(self.get_serializer(program).data, status=status.HTTP_201_CREATED)


class ProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TeamViewSet):
    model = Project
    serializer_class = s.ProjectSerializer
    filters = ("program",)
    write_permission = roles.EDIT
    permission_by_action = {"budget": roles.GENERATE}  # as the project page's spend panel

    @extend_schema(request=s.ProjectSerializer, responses=s.ProjectSerializer)
    def create(self, request):
        program_id = parse_id(request.data.get("program"))
        program = Program.objects.for_team(team_of(request)).filter(pk=program_id).first() if program_id else None
        if program is None:
            raise ApiError("Choose one of your team's programs.", status_code=400, field="program")
        form = ProjectForm(as_form_data(request.data, ["name", "budget_credits"]))
        if not form.is_valid():
            raise form_errors(form)
        project = form.save(commit=False)
        project.program = program
        project.save()
        return Response(self.get_serializer(project).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ProjectSerializer, responses=s.ProjectSerializer)
    def partial_update(self, request, pk=None):
        project = self.get_object()
        current = {"name": project.name, "budget_credits": project.budget_credits}
        current.update({k: v for k, v in request.data.items() if k in current})
        form = ProjectForm(as_form_data(current, current.keys()), instance=project)
        if not form.is_valid():
            raise form_errors(form)
        if "budget_credits" in request.data:
            from studio import audit

            audit.record(team_of(request), None, audit.AuditAction.BUDGET_CHANGED, f"project {project.pk}",
                         ip=audit.request_ip(request._request), via="api")
        form.save()
        return Response(self.get_serializer(project).data)

    @action(detail=True, methods=["get"])
    def budget(self, request, pk=None):
        """The project's budget, what its tasks have cost or are expected to cost, and what is left."""
        from generations.budget import committed_credits

        project = self.get_object()
        committed = committed_credits(project)
        left = None if project.budget_credits is None else project.budget_credits - committed
        return Response({"project": project.pk, "budget_credits": project.budget_credits,
                         "committed_credits": committed, "left_credits": left})


class SKUViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TeamViewSet):
    """SKUs. `?archived=true` lists only archived ones, `?archived=false` only current ones (default: both, each
    with its `archived_at`)."""

    model = SKU
    serializer_class = s.SKUSerializer
    filters = ("project",)
    write_permission = roles.EDIT
    EDITABLE = ["code", "name", "category", "garment_type"]

    def get_queryset(self):
        qs = super().get_queryset()
        archived = str(self.request.query_params.get("archived", "")).lower()
        if archived in ("true", "1"):
            qs = qs.filter(archived_at__isnull=False)
        elif archived in ("false", "0"):
            qs = qs.filter(archived_at__isnull=True)
        return qs

    @extend_schema(request=None, responses=s.SKUSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        """Archive the SKU, as its page does: it leaves the project grid, the generate and bulk forms and a pilot's
        rest; its tasks, outputs, review history and exports already made stay. Repeating it changes nothing."""
        sku = self.get_object()
        SKU.objects.filter(pk=sku.pk, archived_at__isnull=True).update(archived_at=timezone.now())
        sku.refresh_from_db()
        return Response(self.get_serializer(sku).data)

    @extend_schema(request=None, responses=s.SKUSerializer)
    @action(detail=True, methods=["post"])
    def unarchive(self, request, pk=None):
        """Bring an archived SKU back to the grid and the forms."""
        sku = self.get_object()
        SKU.objects.filter(pk=sku.pk).update(archived_at=None)
        sku.refresh_from_db()
        return Response(self.get_serializer(sku).data)

    @extend_schema(request=s.SKUSerializer, responses=s.SKUSerializer)
    def create(self, request):
        project_id = parse_id(request.data.get("project"))
        project = Project.objects.for_team(team_of(request)).filter(pk=project_id).first() if project_id else None
        if project is None:
            raise ApiError("Choose one of your team's projects.", status_code=400, field="project")
        data = {"garment_type": SKU._meta.get_field("garment_type").default, **request.data}
        form = SKUForm(as_form_data(data, self.EDITABLE), project=project)
        if not form.is_valid():
            raise form_errors(form)
        sku = form.save(commit=False)
        sku.project = project
        sku.description = str(request.data.get("description") or "")[:4000]
        sku.save()
        return Response(self.get_serializer(sku).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.SKUSerializer, responses=s.SKUSerializer)
    def partial_update(self, request, pk=None):
        sku = self.get_object()
        current = {name: getattr(sku, name) for name in self.EDITABLE}
        current.update({k: v for k, v in request.data.items() if k in current})
        form = SKUForm(as_form_data(current, self.EDITABLE), instance=sku, project=sku.project)
        if not form.is_valid():
            raise form_errors(form)
        sku = form.save(commit=False)
        if "description" in request.data:
            sku.description = str(request.data.get("description") or "")[:4000]
        sku.save()
        return Response(self.get_serializer(sku).data)

    @extend_schema(request={"multipart/form-data": {"type": "object", "properties": {
        "files": {"type": "array", "items": {"type": "string", "format": "binary"}}}},
        "application/json": s.GarmentUrlSerializer}, responses=s.GarmentImageSerializer(many=True))
    @action(detail=True, methods=["post"], url_path="garment-images",
            parser_classes=[MultiPartParser, FormParser, JSONParser])
    def garment_images(self, request, pk=None):
        """Upload garment images: multipart `files` (one or many), or JSON {"url": …} fetched through the guarded
        downloader. Each file is checked as on the SKU page; refused ones are listed with their reason."""
        from rest_framework.permissions import SAFE_METHODS  # noqa: F401

        sku = self.get_object()
        if not roles.can(request._request.membership, roles.UPLOAD):
            raise ApiError("Your role may not upload.", status_code=403, code="permission_denied")
        files = request.FILES.getlist("files") or request.FILES.getlist("file")
        if not files:
            if not request.data.get("url"):
                raise ApiError("Send multipart `files`, or JSON {\"url\": …}.", status_code=400, field="files")
            url = s.GarmentUrlSerializer(data=request.data)
            url.is_valid(raise_exception=True)
            files = [fetch_garment(url.validated_data["url"], url.validated_data["name"])]
        user = request.user if request.user.is_authenticated else None
        report = uploads.upload_garment_images(sku, files, user=user)
        saved = [o.image for o in report.saved]
        body = {"saved": s.GarmentImageSerializer(saved, many=True, context={"request": request}).data,
                "refused": [{"name": o.name, "reason": o.message} for o in report.refused],
                "summary": report.summary()}
        return Response(body, status=status.HTTP_201_CREATED if saved else status.HTTP_422_UNPROCESSABLE_ENTITY)


class GarmentImageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TeamViewSet):
    model = GarmentImage
    serializer_class = s.GarmentImageSerializer
    filters = ("sku",)
    read_permission = roles.SEE_UNAPPROVED


class ZipImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TeamViewSet):
    """Zip imports: one folder per SKU. Start with multipart `archive` and `project`; then poll for the status
    and the per-entry report (or wait for the `import.finished` webhook)."""

    model = ZipImport
    serializer_class = s.ZipImportSerializer
    read_permission = roles.SEE_UNAPPROVED  # batches and imports are studio machinery: not for clients (#16.4)
    filters = ("project",)
    write_permission = roles.UPLOAD
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": {"type": "object", "properties": {
        "project": {"type": "integer"}, "archive": {"type": "string", "format": "binary"}}}},
        responses=s.ZipImportSerializer)
    def create(self, request):
        team = team_of(request)

        def start(key):
            project_id = parse_id(request.data.get("project"))
            project = Project.objects.for_team(team).filter(pk=project_id).first() if project_id else None
            if project is None:
                raise ApiError("Choose one of your team's projects.", status_code=400, field="project")
            archive = request.FILES.get("archive")
            if archive is None:
                raise ApiError("Send the .zip as multipart `archive`.", status_code=400, field="archive")
            user = request.user if request.user.is_authenticated else None
            job = zip_ingest.start_import(project, archive, user=user)
            return Response(self.get_serializer(job).data, status=status.HTTP_202_ACCEPTED)

        with transaction.atomic():
            return idempotency.run(request, team, start)


class FashionModelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TeamViewSet):
    model = FashionModel
    serializer_class = s.FashionModelSerializer
    filters = ("program",)


class ModelImageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TeamViewSet):
    model = ModelImage
    serializer_class = s.ModelImageSerializer
    filters = ("fashion_model",)


class PoseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TeamViewSet):
    model = Pose
    serializer_class = s.PoseSerializer
    filters = ("program",)
