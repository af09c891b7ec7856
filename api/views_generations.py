"""Generations through the API: vendor accounts, the estimate and the launch (the generate form's own checks),
batches and their controls, tasks, outputs with signed downloads, review and client decisions, the credit ledger,
and exports. Each action calls the product feature the pages call (generations.launch, batches, review, export)."""
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Project
from generations import batches, launch, review
from generations.forms import OPTION_PREFIX, GenerateForm
from generations.models import Batch, CreditEntry, ExportJob, Task, TaskOutput, VendorAccount
from generations.vendors.base import VendorError
from studio import roles
from studio.ids import parse_id

from . import idempotency, serializers as s
from .errors import ApiError
from .views_catalog import TeamViewSet, form_errors, team_of


def actor(request):
    return request.user if request.user.is_authenticated else None


class VendorAccountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TeamViewSet):
    """The team's vendor accounts (name, vendor, state): what `account` in a launch refers to."""

    model = VendorAccount
    serializer_class = s.VendorAccountSerializer
    read_permission = roles.GENERATE


def _generate_form(request, data) -> GenerateForm:
    """The generate form, bound to the JSON body: the same capability checks, options and limits as the page."""
    from django.http import QueryDict

    team = team_of(request)
    project_id = parse_id(data["project"])
    project = Project.objects.for_team(team).filter(pk=project_id).first() if project_id else None
    if project is None:
        raise ApiError("Choose one of your team's projects.", status_code=400, field="project")
    q = QueryDict(mutable=True)
    q["form_token"] = "api"
    q.setlist("skus", [str(x) for x in data["skus"]])
    for name in ("account", "operation", "num_outputs", "model_image", "pose", "style", "prompt"):
        if data.get(name) not in (None, ""):
            q[name] = str(data[name])
    for name, value in (data.get("options") or {}).items():
        if isinstance(value, bool):
            if value:
                q[OPTION_PREFIX + name] = "on"
        elif value is not None:
            q[OPTION_PREFIX + name] = str(value)
    form = GenerateForm(q, team=team, project=project)
    if not form.is_valid():
        errors = {(k[len(OPTION_PREFIX):] if k.startswith(OPTION_PREFIX) else k): v for k, v in form.errors.items()}
        form._errors = type(form.errors)(errors)
        raise form_errors(form)
    return form


class EstimateView(APIView):
    """What a launch would cost, in credits, before anything starts (launch.estimate_launch)."""

    write_permission = roles.GENERATE

    @extend_schema(request=s.LaunchSerializer, responses={200: {"type": "object"}})
    def post(self, request):
        data = s.LaunchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        form = _generate_form(request, data.validated_data)
        try:
            credits = launch.estimate_launch(form.chosen_account, form.spec.operation, form.raw_options(),
                                             form.cleaned_data["num_outputs"], len(form.cleaned_data["skus"]))
        except (launch.LaunchError, VendorError) as exc:
            raise ApiError(str(exc.args[0] if exc.args else exc)) from None
        return Response({"estimated_credits": credits, "skus": len(form.cleaned_data["skus"]),
                         "account": form.chosen_account.pk, "operation": form.spec.operation})


class LaunchView(APIView):
    """Launch generations: one task per SKU, in one batch. Send `Idempotency-Key`: a retry never pays twice."""

    write_permission = roles.GENERATE

    @extend_schema(request=s.LaunchSerializer, responses={201: s.BatchSerializer})
    def post(self, request):
        team = team_of(request)

        def start(key):
            data = s.LaunchSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            form = _generate_form(request, data.validated_data)
            cleaned = form.cleaned_data
            token = idempotency.form_token(team, key) if key else launch.new_form_token()
            try:
                batch = launch.launch_generation(
                    user=actor(request), team=team, skus=list(cleaned["skus"]), account=cleaned["account"],
                    operation=cleaned["operation"], model_image=cleaned.get("model_image"),
                    pose=cleaned.get("pose"), style=cleaned.get("style"), prompt=cleaned.get("prompt", ""),
                    num_outputs=cleaned["num_outputs"], options=cleaned.get("options") or {}, form_token=token)
            except launch.LaunchError as exc:
                raise ApiError(str(exc)) from None
            body = s.BatchSerializer(batch).data
            body["tasks"] = list(batch.tasks.order_by("pk").values_list("pk", flat=True))
            body["estimated_credits"] = sum(t.estimated_credits for t in batch.tasks.all())
            return Response(body, status=status.HTTP_201_CREATED)

        return idempotency.run(request, team, start)


class BatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TeamViewSet):
    model = Batch
    serializer_class = s.BatchSerializer
    read_permission = roles.SEE_UNAPPROVED  # batches and imports are studio machinery: not for clients (#16.4)
    filters = ("project",)
    write_permission = roles.GENERATE

    def retrieve(self, request, pk=None):
        batch = self.get_object()
        body = self.get_serializer(batch).data
        body["progress"] = vars(batches.progress(batch))
        return Response(body)

    def _answer(self, batch, **extra):
        batch.refresh_from_db()
        return Response({**self.get_serializer(batch).data, "progress": vars(batches.progress(batch)), **extra})

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        batch = self.get_object()
        return self._answer(batch, changed=batches.pause(batch))

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        batch = self.get_object()
        return self._answer(batch, changed=batches.resume(batch))

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        batch = self.get_object()
        return self._answer(batch, stopped=batches.cancel(batch))

    @extend_schema(request=None)
    @action(detail=True, methods=["post"], url_path="retry-failed")
    def retry_failed(self, request, pk=None):
        batch = self.get_object()
        return self._answer(batch, retried=batches.retry_failed(batch, actor(request)))


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TeamViewSet):
    """Tasks: status, vendor, credits. A client key sees only tasks with an output approved for clients."""

    model = Task
    serializer_class = s.TaskSerializer
    filters = ("batch", "sku")

    def base_queryset(self):
        return review.visible_tasks(self.request._request.membership)


class OutputViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TeamViewSet):
    """Outputs in our storage, each with a short-lived signed `download_url`. Filter by `task` or
    `review_status` ("Review approved", "Client approved", …). A client key sees approved outputs only."""

    model = TaskOutput
    serializer_class = s.TaskOutputSerializer
    filters = ("task",)

    def base_queryset(self):
        qs = review.visible_outputs(self.request._request.membership).select_related("task")
        wanted = self.request.query_params.get("review_status")
        return qs.filter(review_status=wanted) if wanted else qs

    def _decide(self, request, stage: str, permission: str):
        if not roles.can(request._request.membership, permission):
            raise ApiError(f"The {request._request.membership.role} role may not do this.", status_code=403,
                           code="permission_denied")
        output = self.get_object()
        data = s.ReviewDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            review.decide(output, actor(request), stage=stage, decision=data.validated_data["decision"],
                          comment=data.validated_data["comment"])
        except review.ReviewError as exc:
            raise ApiError(str(exc), status_code=409 if "already" in str(exc) else 422) from None
        output.refresh_from_db()
        return Response(self.get_serializer(output).data)

    @extend_schema(request=s.ReviewDecisionSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """The studio's review: approve, or reject with a comment (managers and admins)."""
        return self._decide(request, "review", roles.REVIEW)

    @extend_schema(request=s.ReviewDecisionSerializer)
    @action(detail=True, methods=["post"], url_path="client-review")
    def client_review(self, request, pk=None):
        """The client's decision on an output the studio approved."""
        return self._decide(request, "client", roles.CLIENT_REVIEW)


class CreditEntryViewSet(mixins.ListModelMixin, TeamViewSet):
    """The team's credit ledger: estimates, charges, refunds, vendor history."""

    model = CreditEntry
    serializer_class = s.CreditEntrySerializer
    filters = ("account", "task")
    read_permission = roles.GENERATE


class ExportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TeamViewSet):
    """Export of approved images (a zip with a folder per SKU and the CSV manifest), made by the worker. Poll it
    until `status` is "done", then fetch `download_url`."""

    model = ExportJob  # the pages' background export job (generations/export_jobs.py): one job, one zip
    serializer_class = s.ExportJobSerializer
    filters = ("project",)
    read_permission = roles.EXPORT
    write_permission = roles.EXPORT

    def base_queryset(self):
        return ExportJob.objects.asked_by(team_of(self.request))

    @extend_schema(request=s.ExportRequestSerializer, responses={202: s.ExportJobSerializer})
    def create(self, request):
        from generations import export, export_jobs

        data = s.ExportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        team = team_of(request)
        project = Project.objects.for_team(team).filter(pk=parse_id(data.validated_data["project"])).first()
        if project is None:
            raise ApiError("Choose one of your team's projects.", status_code=400, field="project")
        client_only = data.validated_data["client_approved_only"] or request._request.membership.role == "client"
        total = export.exportable_outputs(project, client_approved_only=client_only).count()
        with transaction.atomic():
            job = export_jobs.start(project=project, team=team, user=actor(request),
                                    client_approved_only=client_only, total=total)
        return Response(self.get_serializer(job).data, status=status.HTTP_202_ACCEPTED)
