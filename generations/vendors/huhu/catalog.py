"""Huhu Studio: the unpaid groundwork behind a generation — programs, projects, SKUs, uploaded images and Huhu's
own try-on tasks — each kept as a VendorReference (our object ↔ Huhu id) so a retry or a later task reuses it.

How SKUs come into being (our reading of the documents, kept in `ensure_skus`): no endpoint creates a SKU. 001 §5.13
"What happens after upload" — the sku_zip is "processed asynchronously by an AI worker that extracts images from each
folder (one folder = one SKU)", and Workflow D step 2 polls "GET /sku?project_id= until SKUs appear". A base64
`garment_image` upload (001 §5.12) only returns an image_id that no documented call attaches to a SKU, and PUT /sku
(§5.22) updates existing SKUs. So each garment image goes up once, in ONE zip per batch of SKUs (a folder per SKU,
named after our SKU code); the SKUs are adopted by name, and GET /sku detail (read_classification) gives back each
image's Huhu id and classification. Before POST /task, PUT /sku assigns the garment type, model, style and the
front/back model images (001 §8.3 step 6, Workflow D step 4).
"""
from __future__ import annotations

import json
import logging
import math
import time

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction

from catalog.models import Program, Project

from generations.vendors.huhu import payloads as p
from generations.vendors.base import GenerationFailed, NotFound, RateLimited, Unavailable, ValidationFailed

logger = logging.getLogger(__name__)

MAX_PAGES = 50
SKU_OPERATIONS = ("try_on", "video")
BATCH_LIMIT = 200  # SKUs zipped together / sibling tasks given Huhu tasks in one go
# 001 §10 "429/500: Exponential backoff starting at 5s, max 3 retries" (for complete_multipart_upload: a try-on
# waits on it, and a claim left "pending" would hold every sibling until it goes stale).
UPLOAD_RETRIES, UPLOAD_BACKOFF = 3, 5.0
PACE_MARGIN = 0.1  # the gap is Huhu's to measure between arrivals: a little more than it between departures


def pause(seconds: float) -> None:
    """Every wait of the Huhu adapter for Huhu's sake (its pace, its processing, its backoff) goes through here, so
    a test can run them on a virtual clock."""
    time.sleep(seconds)


def references():
    from generations.models import VendorReference

    return VendorReference.objects


def ref(account, obj, kind: str, key: str = ""):
    return references().filter(account=account, kind=kind, content_type=ContentType.objects.get_for_model(obj),
                                object_id=obj.pk, key=key).first()


def _ct(app_label: str, model: str):
    return ContentType.objects.get_by_natural_key(app_label, model)


def save_ref(account, obj, kind: str, vendor_id: str, key: str = "", raw: dict | None = None):
    ct = ContentType.objects.get_for_model(obj)
    try:
        with transaction.atomic():
            row, _ = references().update_or_create(account=account, kind=kind, content_type=ct, object_id=obj.pk,
                                                   key=key, defaults={"vendor_id": vendor_id, "raw": raw or {}})
    except IntegrityError:  # created by another worker between our read and our insert: theirs stands
        row = ref(account, obj, kind, key)
    return row


class HuhuResources:
    """Mixed into HuhuAdapter: needs self.account and self.client (vendors/http.py VendorClient)."""

    # --- listings ---------------------------------------------------------------------------------------------
    def paged(self, path: str, items_key: str, params: dict | None = None) -> list[dict]:
        """Every item of a listing: "If pagination_token is non-null, pass it to get more results" (000)."""
        items, params = [], dict(params or {})
        for _ in range(MAX_PAGES):
            body = self.client.get(path, params=params)
            items.extend(body.get(items_key) or [])
            token = body.get("pagination_token")
            if not token:
                break
            params["pagination_token"] = token
        return items

    def list_tasks(self, program_id: str) -> list[p.TaskRow]:
        """GET /task: every task of the program, grouped by SKU (001 §5.21) — the one call that polls them all. Not
        within the gap of the last one any process made (the shared answer's time, see list_tasks_shared), and its
        answer nor the last direct one (its time is kept beside the shared answer, as "direct_at")."""
        memo = references().filter(**self._memo_lookup(program_id)).first()
        if memo is not None and (wait := self._list_wait(memo.raw)) > 0:
            pause(wait)
        skus = self.paged("/task", "skus", {"program_id": program_id})
        with transaction.atomic():
            for row in references().select_for_update().filter(**self._memo_lookup(program_id)):
                row.raw = {**row.raw, "direct_at": time.time()}
                row.save(update_fields=["raw"])
        return p.parse_task_list({"skus": skus})

    def _list_wait(self, raw: dict) -> float:
        last = max(raw.get("at", 0), raw.get("direct_at", 0))
        return last + self._poll_gap() + PACE_MARGIN - time.time()

    def list_tasks_shared(self, program_id: str, *, fresh: bool = False) -> list[p.TaskRow]:
        """GET /task for polling, shared by every worker process ("Poll gently", 000 Best Practices): the last
        answer is kept on a row that the poller locks, so concurrent poll jobs share one call instead of each making
        their own, and fresh calls for one account and program are at least `poll_min_gap_seconds` apart (default
        the poll interval). self.poll_fresh_after (set by the engine: when the polling task was expected to be
        done) says how recent the shared answer must be; without it any answer within the gap will do.
        Reconciling never uses this."""
        gap = self._poll_gap()
        if fresh or gap <= 0 or not (self.account.settings or {}).get("shared_poll", True):
            return self.list_tasks(program_id)
        with transaction.atomic():
            memo, _ = references().select_for_update().get_or_create(
                **self._memo_lookup(program_id), defaults={"vendor_id": program_id, "raw": {}})
            at = memo.raw.get("at", 0)
            # Fresh enough for this poll, or fetched less than a gap ago (by a poll racing ours): shared.
            if time.time() - at < gap or (self.poll_fresh_after is not None and at >= self.poll_fresh_after):
                return p.parse_task_list({"skus": memo.raw.get("skus") or []})
            if (wait := self._list_wait(memo.raw)) > 0:  # a direct list (preparing, reconciling) was just made
                pause(wait)
            skus = self.paged("/task", "skus", {"program_id": program_id})
            memo.raw = {**memo.raw, "at": time.time(), "skus": skus}
            memo.save(update_fields=["raw"])
        return p.parse_task_list({"skus": skus})

    def _poll_gap(self) -> float:
        return self.min_poll_gap  # huhu.MIN_CALL_GAP unless the account says otherwise

    def _memo_lookup(self, program_id: str) -> dict:
        return dict(account=self.account, kind="huhu_poll_memo", content_type=_ct("generations", "vendoraccount"),
                    object_id=self.account.pk, key=program_id[:80])

    def poll_wait(self, task) -> float:
        """Seconds until GET /task may be called again for `task`'s program, when the last shared answer is older
        than self.poll_fresh_after (0: poll now). The engine re-schedules the poll instead of sleeping."""
        refs = self.task_refs(task) if task.operation == "try_on" else []
        if not refs or self.poll_fresh_after is None:
            return 0.0
        memo = references().filter(**self._memo_lookup(refs[0].raw["program_id"])).first()
        at = memo.raw.get("at", 0) if memo is not None else 0
        if at >= self.poll_fresh_after:
            return 0.0
        return max(0.0, at + self._poll_gap() - time.time())

    # --- programs and projects ------------------------------------------------------------------------------------
    def program_id(self, program) -> str:
        pinned = (self.account.settings or {}).get("program_id")
        if pinned:  # the team pointed this account at one Huhu program (its key's default, typically)
            return str(pinned)
        if found := ref(self.account, program, "huhu_program"):
            return found.vendor_id
        with transaction.atomic():  # one creator per program, however many workers prepare at once
            Program.objects.select_for_update().filter(pk=program.pk).first()
            return self._program_id_locked(program)

    def _program_id_locked(self, program) -> str:
        found = ref(self.account, program, "huhu_program")
        if found:
            return found.vendor_id
        vendor_id = self._by_name(self.paged("/program", "programs", {"owned": "true"}), "program", program.name)
        if vendor_id is None:
            body = self.client.post("/program", **p.name_request("program_name", program.name, self._placement()))
            vendor_id = p.created_id(body, "program_id") or self._by_name(
                self.paged("/program", "programs", {"owned": "true"}), "program", program.name)
        if vendor_id is None:
            raise Unavailable("Huhu created the program but does not list it yet")
        return save_ref(self.account, program, "huhu_program", vendor_id).vendor_id

    def project_id(self, project, program_id: str) -> str:
        found = ref(self.account, project, "huhu_project")
        if found:
            return found.vendor_id
        with transaction.atomic():
            Project.objects.select_for_update().filter(pk=project.pk).first()
            return self._project_id_locked(project, program_id)

    def _project_id_locked(self, project, program_id: str) -> str:
        found = ref(self.account, project, "huhu_project")
        if found:
            return found.vendor_id
        listed = lambda: self.paged("/project", "projects", {"program_id": program_id})  # noqa: E731
        vendor_id = self._by_name(listed(), "project", project.name)
        if vendor_id is None:
            kwargs = p.name_request("project_name", project.name, self._placement())
            kwargs.setdefault("params", {})["program_id"] = program_id
            if "json" in kwargs:
                kwargs["json"]["program_id"] = program_id
            vendor_id = p.created_id(self.client.post("/project", **kwargs), "project_id") or self._by_name(
                listed(), "project", project.name)
        if vendor_id is None:
            raise Unavailable("Huhu created the project but does not list it yet")
        return save_ref(self.account, project, "huhu_project", vendor_id, raw={"program_id": program_id}).vendor_id

    def _placement(self) -> str:
        return (self.account.settings or {}).get("create_name_in", "both")

    @staticmethod
    def _by_name(rows: list[dict], kind: str, name: str) -> str | None:
        matches = [r for r in rows if r.get(f"{kind}_name") == name and r.get(f"{kind}_id")]
        matches.sort(key=lambda r: r.get("create_time") or 0)
        return str(matches[-1][f"{kind}_id"]) if matches else None

    def ids_for(self, sku) -> tuple[str, str]:
        program_id = self.program_id(sku.project.program)
        return program_id, self.project_id(sku.project, program_id)

    # --- images ------------------------------------------------------------------------------------------------
    def upload_image(self, obj, kind: str, file_type: str, field_file, program_id: str, project_id: str) -> str:
        """POST /project/upload with base64 file_data (001 §5.12), once per object."""
        found = ref(self.account, obj, kind)
        if found:
            return found.vendor_id
        with transaction.atomic():  # one uploader per object, however many workers prepare tasks that use it
            type(obj).objects.select_for_update().filter(pk=obj.pk).first()
            if found := ref(self.account, obj, kind):
                return found.vendor_id
            return self._upload_image_locked(obj, kind, file_type, field_file, program_id, project_id)

    def _upload_image_locked(self, obj, kind, file_type, field_file, program_id: str, project_id: str) -> str:
        with field_file.open("rb") as fh:
            data = fh.read()
        body = self.client.post("/project/upload", json={"program_id": program_id, "project_id": project_id,
                                                         "file_type": file_type, "file_data": p.b64(data)})
        if not body.get("image_id"):
            raise Unavailable("Huhu accepted the upload without returning an image_id")
        return save_ref(self.account, obj, kind, str(body["image_id"]), raw={"project_id": project_id}).vendor_id

    def model_image_id(self, model_image, program_id: str, project_id: str) -> str:
        """A gallery image id for PUT /task model_image: imported ones (huhu_sync) already have their reference."""
        return self.upload_image(model_image, "huhu_model_image", "model_image", model_image.image, program_id,
                                 project_id)


    # --- SKUs (see the module docstring) -------------------------------------------------------------------------
    def sku_id(self, sku) -> str | None:
        found = ref(self.account, sku, "huhu_sku")
        return found.vendor_id if found else None

    def sku_ids(self, skus) -> dict[int, str]:
        """Huhu SKU ids for many of our SKUs in one query: {our SKU pk: Huhu sku_id}."""
        rows = references().filter(account=self.account, kind="huhu_sku", content_type=_ct("catalog", "sku"),
                                   object_id__in=[s.pk for s in skus])
        return {r.object_id: r.vendor_id for r in rows}

    def ensure_skus(self, task, program_id: str, project_id: str) -> str:
        """The Huhu SKU id for task.sku; SKUs of sibling tasks waiting in the same project ride in the same zip."""
        if sku_id := self.sku_id(task.sku):
            return sku_id
        if not task.sku.garment_images.exists():
            raise ValidationFailed(f"SKU {task.sku.code} has no garment images to upload to Huhu")
        from catalog.models import GarmentImage

        skus = {task.sku.pk: task.sku}
        for sibling in self._siblings(task):
            skus.setdefault(sibling.sku_id, sibling.sku)
        with_images = set(GarmentImage.objects.filter(sku_id__in=list(skus)).values_list("sku_id", flat=True))
        known = self.sku_ids(skus.values())
        missing = [s for pk, s in skus.items() if pk in with_images and pk not in known]
        before = self._zip_claimed(missing)
        claimed = self._claim_for_zip(task.sku.project_id, missing)
        if claimed and before:
            # Claims gone stale: that zip may be on Huhu already (a crash after the upload): adopt first. Otherwise
            # there is nothing to find, and the GET /sku after our own upload would repeat this very request within
            # the 5 s pace (MIN_CALL_GAP).
            self._adopt_skus(claimed, program_id, project_id)
            known = self.sku_ids(claimed)
            claimed = [s for s in claimed if s.pk not in known]
        if claimed:
            self._upload_zip(claimed, program_id, project_id)
        return self._wait_for_sku(task.sku, missing, program_id, project_id, uploader=task.sku in claimed)

    def _zip_claimed(self, skus) -> bool:
        return references().filter(account=self.account, kind="huhu_sku_zip", content_type=_ct("catalog", "sku"),
                                   object_id__in=[s.pk for s in skus]).exists()

    def _siblings(self, task):
        from generations.models import Task

        return (Task.objects.filter(account=self.account, sku__project_id=task.sku.project_id, step="submit",
                                    operation__in=SKU_OPERATIONS, needs_attention=False)
                .exclude(pk=task.pk).select_related("sku").order_by("created_at", "pk")[:BATCH_LIMIT])

    def _sku_listing_slot(self, project_id: str) -> float:
        """GET /sku?project_id= is asked by every worker preparing a SKU of a fresh zip: the calls of all processes
        for one project take turns at least the gap apart (the slot is reserved under a row lock). Seconds to wait."""
        lookup = dict(account=self.account, kind="huhu_sku_memo", content_type=_ct("generations", "vendoraccount"),
                      object_id=self.account.pk, key=project_id[:80])
        with transaction.atomic():
            memo, _ = references().select_for_update().get_or_create(**lookup, defaults={"vendor_id": project_id,
                                                                                         "raw": {}})
            now = time.time()
            slot = max(now, memo.raw.get("at", 0) + self._poll_gap() + PACE_MARGIN)
            memo.raw = {"at": slot}
            memo.save(update_fields=["raw"])
        return slot - now

    def _adopt_skus(self, skus, program_id: str, project_id: str) -> None:
        if not skus:
            return
        if (wait := self._sku_listing_slot(project_id)) > 0:
            pause(wait)
            if not (skus := [s for s in skus if s.pk not in self.sku_ids(skus)]):
                return  # adopted meanwhile by the worker whose turn came first
        by_name = {}
        # program_id: without it Huhu looks for the project in the key's default program (001 §5.10), and ours may
        # be another one ("Project not found in program") or the key may have none (001 §3: 400).
        for row in self.paged("/sku", "skus", {"program_id": program_id, "project_id": project_id}):
            by_name.setdefault(row.get("sku_name"), row)
        adopted = [(sku, by_name[name]["sku_id"]) for sku in skus
                   if (name := p.zip_folder_name(sku.code)) in by_name and by_name[name].get("sku_id")]
        self._bulk_refs("huhu_sku", [(sku.pk, "", str(vid), {"project_id": project_id}) for sku, vid in adopted],
                        _ct("catalog", "sku"))

    def _bulk_refs(self, kind: str, rows, ct) -> None:
        """Insert (object pk, key, vendor id, raw) references at once; a row someone else wrote first stands."""
        from generations.models import VendorReference

        VendorReference.objects.bulk_create(
            [VendorReference(account=self.account, kind=kind, content_type=ct, object_id=pk, key=key,
                             vendor_id=vendor_id, raw=raw) for pk, key, vendor_id, raw in rows],
            ignore_conflicts=True)

    def _claim_for_zip(self, project_pk: int, skus) -> list:
        """Under the project's row lock: claim the SKUs nobody is uploading (a claim older than the wait is stale)."""
        stale_after, now, ct = self._sku_wait() * 2, time.time(), _ct("catalog", "sku")
        with transaction.atomic():
            Project.objects.select_for_update().filter(pk=project_pk).first()
            claims = {r.object_id: r for r in references().filter(
                account=self.account, kind="huhu_sku_zip", content_type=ct, object_id__in=[s.pk for s in skus])}
            claimed = [s for s in skus if s.pk not in claims or now - claims[s.pk].raw.get("claimed_at", 0) >
                       stale_after]
            stale = [s.pk for s in claimed if s.pk in claims]
            references().filter(pk__in=[claims[pk].pk for pk in stale]).update(
                vendor_id="pending", raw={"claimed_at": now})
            self._bulk_refs("huhu_sku_zip", [(s.pk, "", "pending", {"claimed_at": now}) for s in claimed
                                             if s.pk not in claims], ct)
        return claimed

    def _upload_zip(self, skus, program_id: str, project_id: str) -> None:
        """001 §5.12-5.13: init (file_type sku_zip, file_size) → PUT each part to its presigned URL → complete."""
        folders = {}
        for sku in skus:
            files = []
            for g in sku.garment_images.all():
                with g.image.open("rb") as fh:
                    ext = g.image.name.rsplit(".", 1)[-1].lower()
                    # The view and garment type in the name help the classifier; the name is ours, never the user's.
                    files.append((f"{g.view}_{g.garment_type.replace(' ', '_').lower()}_{g.pk}.{ext}", fh.read()))
            folders[p.zip_folder_name(sku.code)] = files
        data = p.sku_zip(folders)
        init = self.client.post("/project/upload", json={"program_id": program_id, "project_id": project_id,
                                                         "file_type": "sku_zip", "file_size": len(data)})
        urls = init.get("upload_urls") or []
        if not urls or not init.get("upload_id") or not init.get("key"):
            raise Unavailable("Huhu did not return presigned upload URLs for the SKU zip")
        size = math.ceil(len(data) / len(urls))
        parts = [{"PartNumber": n, "ETag": self.put_part(url, data[(n - 1) * size:n * size])}
                 for n, url in enumerate(urls, start=1)]
        self._complete_upload(skus, {"program_id": program_id, "project_id": project_id, "key": init["key"],
                                     "upload_id": init["upload_id"], "parts": parts})
        references().filter(account=self.account, kind="huhu_sku_zip", content_type=_ct("catalog", "sku"),
                            object_id__in=[s.pk for s in skus]).update(
            vendor_id=init["upload_id"], raw={"claimed_at": time.time(), "key": init["key"]})

    def _complete_upload(self, skus, body: dict) -> None:
        """POST /project/complete_multipart_upload, with 001 §10's backoff (5, 10, 20 s) on 429 and 5xx. It is
        unpaid, so resending is safe; a 404 after an unanswered try means that try went through (the upload is
        complete, so Huhu no longer knows it as pending). After the last retry the claim is released (the next
        attempt uploads afresh instead of every sibling waiting for it to go stale) and the task fails, saying so."""
        for attempt in range(UPLOAD_RETRIES + 1):
            try:
                self.client.post("/project/complete_multipart_upload", json=body)
                return
            except NotFound:
                if attempt == 0:
                    raise
                return
            except (Unavailable, RateLimited) as exc:
                error = exc
                if attempt < UPLOAD_RETRIES:
                    pause(max(UPLOAD_BACKOFF * 2 ** attempt, getattr(exc, "retry_after", None) or 0.0))
        references().filter(account=self.account, kind="huhu_sku_zip", content_type=_ct("catalog", "sku"),
                            object_id__in=[s.pk for s in skus]).delete()
        codes = ", ".join(s.code for s in skus[:5]) + (" …" if len(skus) > 5 else "")
        raise GenerationFailed(f"Huhu could not finish the garment upload for SKU {codes}: {error}, still after "
                               f"{UPLOAD_RETRIES} retries 5, 10 and 20 s apart. Nothing was generated or paid; "
                               f"launch the try-on again to upload afresh.", status_code=error.status_code)

    def put_part(self, url: str, chunk: bytes) -> str:
        """A presigned S3 URL: a plain PUT without our Bearer key, to a public address only (the URL came from
        outside); the ETag response header goes into complete_multipart_upload."""
        import httpx

        from generations.vendors.http import VendorClient, resolve_public

        target = httpx.URL(url)
        resolve_public(target.host, target.port or (443 if target.scheme == "https" else 80))
        uploader = VendorClient(f"{target.scheme}://{target.netloc.decode()}")
        try:
            response = uploader.request("PUT", url, content=chunk)
        finally:
            uploader.close()
        return response.headers.get("ETag", "")

    def _sku_wait(self) -> float:
        return float((self.account.settings or {}).get("sku_wait_seconds", 120))

    def _wait_for_sku(self, sku, batch, program_id: str, project_id: str, uploader: bool = True) -> str:
        """001 §5.13 step 4: "poll GET /sku?project_id= until SKUs appear (typically 30-90 seconds)"."""
        deadline = time.monotonic() + self._sku_wait()
        # "poll GET /sku?project_id= until SKUs appear", at Huhu's pace (MIN_CALL_GAP), never faster.
        interval = max(float((self.account.settings or {}).get("sku_poll_seconds", 5)), self._poll_gap())
        zip_ref = dict(account=self.account, kind="huhu_sku_zip", content_type=_ct("catalog", "sku"), object_id=sku.pk)
        while references().filter(**zip_ref, vendor_id="pending").exists() and time.monotonic() < deadline:
            time.sleep(0.05)  # another worker is still uploading the zip: no GET /sku until it is up (a DB read)
        if not uploader:
            # The worker that uploaded the zip polls GET /sku and adopts the whole batch: give it a couple of its
            # turns before asking Huhu ourselves (every worker asking would only queue behind the pace).
            for _ in range(int(2 * interval / 0.2)):
                if sku_id := self.sku_id(sku):
                    return sku_id
                pause(0.2)
        while True:
            known = self.sku_ids(batch)
            self._adopt_skus([s for s in batch if s.pk not in known], program_id, project_id)
            if sku_id := self.sku_id(sku):
                return sku_id
            if time.monotonic() + interval > deadline:
                raise Unavailable(f"Huhu is still processing the garment upload for SKU {sku.code}")
            pause(interval)

    # --- Huhu's try-on tasks ----------------------------------------------------------------------------------
    def task_refs(self, task) -> list:
        from generations.models import Task

        return list(references().filter(account=self.account, kind="huhu_task", object_id=task.pk,
                                        content_type=ContentType.objects.get_for_model(Task)).order_by("key"))

    def task_refs_for(self, tasks) -> dict[int, list]:
        """task_refs for many tasks in one query (batched polling)."""
        from generations.models import Task

        out: dict[int, list] = {}
        for row in references().filter(account=self.account, kind="huhu_task", object_id__in=[t.pk for t in tasks],
                                       content_type=ContentType.objects.get_for_model(Task)).order_by("key"):
            out.setdefault(row.object_id, []).append(row)
        return out

    @staticmethod
    def wanted_views(task) -> list[str]:
        """Huhu makes a front task and a back task per SKU (000 POST /task); we generate the views whose garment
        images the task selected, the front one when it selected none."""
        views = {g.view for g in task.garment_images.all()} & {"front", "back"}
        return sorted(views) or ["front"]

    def ensure_tasks(self, task, program_id: str, project_id: str) -> list:
        """Huhu task ids for `task`, kept as VendorReferences (key = view) BEFORE anything is paid for. Under the
        project lock, sibling tasks get theirs from the same POST /task and GET /task (one call each per batch).
        After a crash, an unclaimed "Task created" task of the SKU is adopted instead of creating another."""
        if refs := self.task_refs(task):
            return refs
        with transaction.atomic():
            Project.objects.select_for_update().filter(pk=task.sku.project_id).first()
            if refs := self.task_refs(task):
                return refs
            group = [task] + [t for t in self._siblings(task) if t.operation == "try_on"]
            sku_ids, have = self.sku_ids([t.sku for t in group]), self.task_refs_for(group)
            group = [t for t in group if t.sku_id in sku_ids and t.pk not in have]
            views = self._views_for(group)
            # Huhu tasks left unclaimed by a crash after POST /task are adopted first; when POST /task was never sent
            # for these SKUs there is nothing to adopt, and one GET /task after it is all the pace allows anyway.
            requested = set(references().filter(account=self.account, kind="huhu_task_request",
                                                content_type=_ct("catalog", "sku"),
                                                object_id__in=[t.sku_id for t in group]).values_list("object_id",
                                                                                                    flat=True))
            lacking = [t for t in group if t.sku_id not in requested]
            if requested:
                lacking += self._assign([t for t in group if t.sku_id in requested], program_id, sku_ids, views)
            if lacking:
                self._assign_skus(lacking, program_id, project_id, sku_ids)
                skus = sorted({t.sku_id for t in lacking})
                self._bulk_refs("huhu_task_request", [(pk, "", sku_ids[pk], {"at": time.time()}) for pk in skus],
                                _ct("catalog", "sku"))  # before the call: a crash inside it leaves the mark
                self.client.post("/task", json={"program_id": program_id, "project_id": project_id,
                                                "sku_ids": sorted(sku_ids[pk] for pk in skus)})
                self._assign(lacking, program_id, sku_ids, views)
        refs = self.task_refs(task)
        if not refs:
            raise ValidationFailed(f"Huhu created no try-on task for the {'/'.join(self.wanted_views(task))} view of "
                                   f"SKU {task.sku.code}: its garment classification found no such images")
        return refs

    def _assign_skus(self, tasks, program_id: str, project_id: str, sku_ids: dict) -> None:
        """PUT /sku (001 §5.22) before POST /task, as the try-on path does (§8.3 step 6 "Assign model to SKUs → PUT
        /sku with model_id, style_id, model_images_front", Workflow D step 4): one call per distinct assignment, so
        a batch sharing a model costs one call. Unpaid and idempotent: after a crash it is simply sent again."""
        groups: dict[str, tuple[dict, set]] = {}
        for task in tasks:
            body = self._sku_assignment(task, program_id, project_id)
            groups.setdefault(json.dumps(body, sort_keys=True), (body, set()))[1].add(sku_ids[task.sku_id])
        for body, skus in groups.values():
            self.client.put("/sku", json={**body, "sku_ids": sorted(skus)})

    def _sku_assignment(self, task, program_id: str, project_id: str) -> dict:
        body = {"program_id": program_id, "project_id": project_id, "garment_type": task.sku.garment_type}
        if task.model_image_id is None:
            return body
        body["model_images_front"] = [self.model_image_id(task.model_image, program_id, project_id)]
        if back := self._back_image(task):
            body["model_images_back"] = [self.model_image_id(back, program_id, project_id)]
        if model := ref(self.account, task.model_image.fashion_model, "huhu_model"):
            body["model_id"] = model.vendor_id
        image = ref(self.account, task.model_image, "huhu_model_image")
        if image is not None and image.raw.get("style_id"):  # a style Huhu named (GET /model?model_id=), never ours
            body["style_id"] = str(image.raw["style_id"])
        return body

    @staticmethod
    def _views_for(tasks) -> dict[int, list[str]]:
        from generations.models import Task

        found: dict[int, set] = {}
        for task_id, view in Task.garment_images.through.objects.filter(task_id__in=[t.pk for t in tasks]) \
                .values_list("task_id", "garmentimage__view"):
            found.setdefault(task_id, set()).add(view)
        return {t.pk: sorted(found.get(t.pk, set()) & {"front", "back"}) or ["front"] for t in tasks}

    def _assign(self, group, program_id: str, sku_ids: dict, views: dict) -> list:
        """Give each task of `group` unclaimed "Task created" tasks of its SKU, one per wanted view. Returns the
        tasks that got none."""
        from generations.models import VendorReference

        rows = [r for r in self.list_tasks(program_id) if r.status == p.TASK_CREATED]
        claimed = set(VendorReference.objects.filter(account=self.account, kind="huhu_task",
                                                     vendor_id__in=[r.task_id for r in rows])
                      .values_list("vendor_id", flat=True))
        free: dict[str, list] = {}
        for row in rows:
            if row.task_id not in claimed:
                free.setdefault(row.sku_id or f"name:{row.sku_name}", []).append(row)
        new, lacking = [], []
        for member in group:
            sku_id = sku_ids[member.sku_id]
            candidates = free.get(sku_id) or free.get(f"name:{p.zip_folder_name(member.sku.code)}") or []
            got = 0
            for view in views[member.pk]:
                row = next((r for r in candidates if r.view == view), None)
                if row is not None:
                    candidates.remove(row)
                    new.append((member.pk, view, row.task_id, {"sku_id": sku_id, "program_id": program_id}))
                    got += 1
            if not got:
                lacking.append(member)
        self._bulk_refs("huhu_task", new, _ct("generations", "task"))
        return lacking
