"""A contract-faithful fake of the Hautech API (seed 003), a real HTTP server on 127.0.0.1.

What the document says, and this fake does:
- `POST /v1/workflows/run/{workflowId}` with `{"input": {...}}` answers `{"pipelineId": ...}` ("run.data.pipelineId").
  Inputs are validated per workflow against the parameter lists of the four sections (Full Naomi, Naomi pipeline,
  Prepare image, Prepare pose): required fields, types, unknown fields; ids must be ones this fake handed out
  (uploaded image ids, preparedImageId, poseId). Bad input answers 422 with a message naming the field.
- `GET /v1/pipelines/{pipelineId}` answers `status: "pending"` until the run's time has passed on this fake's clock,
  then a final status with `output` ("result.output.preparedImageId", "result.output.poseId", "result.output").
- Bearer tokens (`Authorization: Bearer YOUR_TOKEN` in every example). Ids and pipelines belong to the token that
  made them: another account's ids are unknown (422) and its pipelines not found (404).

What the document does NOT say, and this fake chooses (each one a knob, so tests can vary it):
- The upload. The document only names "the three-step upload process" (Prepare Image Pipeline example, "See
  guides#upload-image"). Here: POST `upload_paths["initialize"]` → `{"uploadUrl"}`; PUT the file (multipart field
  `file`) to that URL → `{"fileToken"}`; POST `upload_paths["finalize"]` `{"fileToken"}` → `{"id"}`.
- Error bodies: `{"statusCode", "message", "error"}` (NestJS style; validation gives `message` as a list).
- The final status words (`done_status`, `failed_status`) and the Naomi output shape: `{"imageId", "url"}`, the
  url an expiring signed file (`publish_file`). With `url_in_output=False` only the id is given and
  `GET /v1/images/{id}` answers `{"id", "url"}`.
- Prices: none are published. The fake counts runs per workflow (`runs`); `paid_runs` counts generations (Naomi
  and Full Naomi), the runs that make an image.
- Determinism: the same seed and the same inputs (by content: the bytes behind the ids) give the same image bytes.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP

from PIL import Image, ImageDraw

from tests.fakes.base import FakeVendorServer, Request, Response, json_response, route

# Workflow ids exactly as the document gives them.
FULL_NAOMI = "dc1bd611-effc-443c-978a-88593553588d"
NAOMI = "b8bfacd4-e6e8-401b-91ce-acc01f1f2b75"
PREPARE_IMAGE = "31789314-f1c5-4c9f-9c41-0b6708015788"
PREPARE_POSE = "b4aa5223-8e67-4e62-9b70-1672d1bc43c9"
WORKFLOW_NAMES = {FULL_NAOMI: "full_naomi", NAOMI: "naomi", PREPARE_IMAGE: "prepare_image",
                  PREPARE_POSE: "prepare_pose"}
GENERATIONS = {"full_naomi", "naomi"}

# "Aspect ratio examples" (seed 003, Full Naomi workflow).
ASPECT_RATIOS = {
    "1:1": (1024, 1024), "9:7": (1152, 896), "7:9": (896, 1152), "7:10": (832, 1200), "10:7": (1200, 832),
    "19:13": (1216, 832), "13:19": (832, 1216), "7:4": (1344, 768), "4:7": (768, 1344), "12:5": (1536, 640),
    "5:12": (640, 1536),
}

# name: (type, required). Types: "str", "bool", "int", "ratio"; ids are checked against what the fake issued.
SCHEMAS: dict[str, dict[str, tuple[str, bool]]] = {
    "full_naomi": {"poseImageId": ("upload", True), "aspectRatio": ("ratio", True), "imageId": ("upload", True),
                   "label": ("str", False), "isHuman": ("bool", False), "prompt": ("str", True),
                   "enhancePrompt": ("bool", False), "seed": ("int", False)},
    "naomi": {"poseId": ("pose", True), "imageId": ("prepared", True), "label": ("str", False),
              "prompt": ("str", True), "enhancePrompt": ("bool", False), "seed": ("int", False)},
    "prepare_image": {"imageId": ("upload", True), "label": ("str", False), "isHuman": ("bool", False)},
    "prepare_pose": {"poseImageId": ("upload", True), "aspectRatio": ("ratio", True)},
}


@dataclass
class Pipeline:
    id: str
    workflow: str
    input: dict
    created_at: float
    seconds: float
    token: str
    fail_message: str = ""
    output: dict | None = None
    extra: dict = field(default_factory=dict)


class HautechFake(FakeVendorServer):
    # The document's paths start at the origin ("https://api.hautech.ai" + "/v1/..."); routes below are written
    # without their leading slash because the base strips the prefix.
    prefix = "/"

    def __init__(self, tokens: tuple[str, ...] = ("hk-test-key",)):
        super().__init__()
        self.tokens = set(tokens)
        self.workflows = dict(WORKFLOW_NAMES)  # workflow id -> name; a test may add ids an account configures
        self.upload_paths = {"initialize": "/v1/images/upload/initialize", "finalize": "/v1/images/upload/finalize"}
        self.run_seconds = {"full_naomi": 3.0, "naomi": 2.0, "prepare_image": 1.0, "prepare_pose": 1.0}
        self.done_status = "completed"
        self.failed_status = "failed"
        self.url_in_output = True
        self.token_at_initialize = False  # True: initialize hands out the fileToken, the PUT answers empty
        self.output_ttl = 3600.0
        self.runs: Counter[str] = Counter()
        self.uploaded: dict[str, bytes] = {}  # image id -> bytes
        self.pipelines: dict[str, Pipeline] = {}
        self.prepared_images: dict[str, str] = {}  # preparedImageId -> uploaded image id
        self.poses: dict[str, tuple[str, str]] = {}  # poseId -> (uploaded pose image id, aspect ratio)
        self.generated: dict[str, bytes] = {}  # output image id -> bytes
        self.owners: dict[str, str] = {}  # any id this fake handed out -> the token that created it
        self._pending_uploads: dict[str, bytes | None] = {}  # upload slot -> bytes once sent
        self._file_tokens: dict[str, str] = {}  # fileToken -> upload slot
        self._failures: dict[str, list[str]] = {}

    # --- knobs for tests ------------------------------------------------------------------------------------------
    @property
    def paid_runs(self) -> int:
        return sum(n for name, n in self.runs.items() if name in GENERATIONS)

    def fail_next(self, workflow: str, message: str) -> None:
        """The next run of `workflow` ends in the failed status with `message`."""
        self._failures.setdefault(workflow, []).append(message)

    def finish_everything(self) -> None:
        """Move the clock past every pending run."""
        self.advance(max(self.run_seconds.values()) + 1)

    def inputs(self, workflow: str) -> list[dict]:
        return [p.input for p in self.pipelines.values() if p.workflow == workflow]

    # --- auth and dispatch ------------------------------------------------------------------------------------------
    def _auth(self, req: Request) -> Response | None:
        header = req.header("authorization")
        if not header.startswith("Bearer ") or header[7:] not in self.tokens:
            return json_response({"statusCode": 401, "message": "Unauthorized"}, 401)
        return None

    @route("POST", "(?P<path>.*)")
    def post(self, req: Request, path: str) -> Response:
        path = "/" + path
        if path.startswith("/_upload/"):
            return self.not_found(req)
        denied = self._auth(req)
        if denied:
            return denied
        if path == self.upload_paths["initialize"]:
            return self._upload_initialize(req)
        if path == self.upload_paths["finalize"]:
            return self._upload_finalize(req)
        match = re.fullmatch(r"/v1/workflows/run/(?P<workflow_id>[^/]+)", path)
        if match:
            return self._run(req, match["workflow_id"])
        return self.not_found(req)

    def not_found(self, req: Request) -> Response:
        return json_response({"statusCode": 404, "message": f"Cannot {req.method} {req.path}"}, 404)

    # --- the three-step upload ---------------------------------------------------------------------------------------
    def _upload_initialize(self, req: Request) -> Response:
        slot = secrets.token_hex(8)
        answer = {"uploadUrl": f"{self.origin}/_upload/{slot}"}
        with self.lock:
            self._pending_uploads[slot] = None
            if self.token_at_initialize:
                answer["fileToken"] = secrets.token_hex(12)
                self._file_tokens[answer["fileToken"]] = slot
        return json_response(answer, 201)

    @route("PUT", "_upload/(?P<slot>[0-9a-f]+)")
    def upload_send(self, req: Request, slot: str) -> Response:
        # The upload URL carries its own capability (like a presigned URL): no bearer token needed here.
        with self.lock:
            if slot not in self._pending_uploads:
                return json_response({"statusCode": 404, "message": "Unknown upload"}, 404)
        data = _multipart_file(req) if req.header("content-type").startswith("multipart/") else req.body
        if not data:
            return json_response({"statusCode": 400, "message": "file is required"}, 400)
        try:
            Image.open(io.BytesIO(data)).verify()
        except Exception:
            return json_response({"statusCode": 400, "message": "file is not an image"}, 400)
        with self.lock:
            self._pending_uploads[slot] = data
            if self.token_at_initialize:
                return Response(200)  # an S3-style empty answer: the token came with the upload URL
            token = secrets.token_hex(12)
            self._file_tokens[token] = slot
        return json_response({"fileToken": token})

    def _upload_finalize(self, req: Request) -> Response:
        body = _json(req)
        token = body.get("fileToken") if isinstance(body, dict) else None
        with self.lock:
            slot = self._file_tokens.pop(token, None) if isinstance(token, str) else None
            data = self._pending_uploads.pop(slot, None) if slot else None
            if data is None:
                return json_response({"statusCode": 400, "message": "fileToken is missing or unknown"}, 400)
            image_id = f"img_{secrets.token_hex(8)}"
            self.uploaded[image_id] = data
            self.owners[image_id] = _token(req)
        return json_response({"id": image_id}, 201)

    # --- workflow runs ------------------------------------------------------------------------------------------------
    def _run(self, req: Request, workflow_id: str) -> Response:
        workflow = self.workflows.get(workflow_id)
        if workflow is None:
            return json_response({"statusCode": 404, "message": f"Workflow {workflow_id} not found"}, 404)
        body = _json(req)
        if not isinstance(body, dict) or not isinstance(body.get("input"), dict):
            return json_response({"statusCode": 400, "message": 'the body must be {"input": {...}}'}, 400)
        errors = self._validate(workflow, body["input"], _token(req))
        if errors:
            # NestJS-style validation answer (the shape Hautech's API uses; the document shows no error body).
            return json_response({"statusCode": 422, "message": errors, "error": "Unprocessable Entity"}, 422)
        with self.lock:
            self.runs[workflow] += 1
            pipeline = Pipeline(id=f"pl_{secrets.token_hex(8)}", workflow=workflow, input=dict(body["input"]),
                                created_at=self.clock(), seconds=self.run_seconds[workflow],
                                token=_token(req),
                                fail_message=(self._failures.get(workflow) or [""]).pop(0)
                                if self._failures.get(workflow) else "")
            self.pipelines[pipeline.id] = pipeline
        return json_response({"pipelineId": pipeline.id}, 201)

    def _validate(self, workflow: str, given: dict, token: str) -> list[str]:
        schema = SCHEMAS[workflow]
        errors = [f"{name} is not a parameter of this workflow" for name in given if name not in schema]
        for name, (kind, required) in schema.items():
            if name not in given or given[name] is None:
                if required:
                    errors.append(f"{name} is required")
                continue
            problem = self._check(kind, given[name], token)
            if problem:
                errors.append(f"{name} {problem}")
        return errors

    def _check(self, kind: str, value, token: str) -> str:
        if kind in ("bool",):
            return "" if isinstance(value, bool) else "must be a boolean"
        if kind == "int":
            return "" if isinstance(value, int) and not isinstance(value, bool) else "must be an integer"
        if not isinstance(value, str) or not value.strip():
            return "must be a non-empty string"
        if kind == "ratio":
            return "" if re.fullmatch(r"[1-9]\d*:[1-9]\d*", value) else 'must look like "7:10"'
        known = {"upload": self.uploaded, "prepared": self.prepared_images, "pose": self.poses}.get(kind)
        if known is not None and (value not in known or self.owners.get(value) != token):  # ids are per account
            return f"{value!r} is not a known {'uploaded image' if kind == 'upload' else kind} id"
        return ""

    # --- pipelines ----------------------------------------------------------------------------------------------------
    @route("GET", "v1/pipelines/(?P<pipeline_id>[^/]+)")
    def get_pipeline(self, req: Request, pipeline_id: str) -> Response:
        denied = self._auth(req)
        if denied:
            return denied
        with self.lock:
            pipeline = self.pipelines.get(pipeline_id)
            if pipeline is None or pipeline.token != _token(req):
                return json_response({"statusCode": 404, "message": "Pipeline not found"}, 404)
            if self.clock() < pipeline.created_at + pipeline.seconds:
                return json_response({"id": pipeline.id, "status": "pending", "output": None})
            if pipeline.fail_message:
                return json_response({"id": pipeline.id, "status": self.failed_status, "output": None,
                                      "error": {"message": pipeline.fail_message}})
            if pipeline.output is None:
                pipeline.output = self._finish(pipeline)
            return json_response({"id": pipeline.id, "status": self.done_status, "output": pipeline.output})

    def _finish(self, pipeline: Pipeline) -> dict:
        given = pipeline.input
        if pipeline.workflow == "prepare_image":
            prepared = f"pim_{secrets.token_hex(8)}"
            self.prepared_images[prepared] = given["imageId"]
            self.owners[prepared] = pipeline.token
            return {"preparedImageId": prepared}
        if pipeline.workflow == "prepare_pose":
            pose_id = f"pose_{secrets.token_hex(8)}"
            self.poses[pose_id] = (given["poseImageId"], given["aspectRatio"])
            self.owners[pose_id] = pipeline.token
            return {"poseId": pose_id}
        if pipeline.workflow == "naomi":
            garment_upload = self.prepared_images[given["imageId"]]
            pose_upload, ratio = self.poses[given["poseId"]]
        else:
            garment_upload, pose_upload, ratio = given["imageId"], given["poseImageId"], given["aspectRatio"]
        data = self._render(garment_upload, pose_upload, ratio, given)
        image_id = f"gen_{secrets.token_hex(8)}"
        self.generated[image_id] = data
        self.owners[image_id] = pipeline.token
        output = {"imageId": image_id}
        if self.url_in_output:
            output["url"] = self.publish_file(data, ttl=self.output_ttl, name=f"{image_id}.png")
        return output

    def _render(self, garment_upload: str, pose_upload: str, ratio: str, given: dict) -> bytes:
        """The "generated" image: a pure function of the content behind the inputs when a seed is given."""
        seed = given.get("seed")
        recipe = {"garment": hashlib.sha256(self.uploaded[garment_upload]).hexdigest(),
                  "pose": hashlib.sha256(self.uploaded[pose_upload]).hexdigest(), "ratio": ratio,
                  "label": given.get("label"), "prompt": given["prompt"], "enhance": given.get("enhancePrompt"),
                  "seed": seed if seed is not None else secrets.randbits(32)}
        digest = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).digest()
        width, height = ASPECT_RATIOS.get(ratio, (1024, 1024))
        width, height = width // 8, height // 8
        img = Image.new("RGB", (width, height), tuple(digest[:3]))
        draw = ImageDraw.Draw(img)
        for i in range(4):
            x, y = digest[4 + i] % width, digest[8 + i] % height
            draw.rectangle([x, y, x + width // 4, y + height // 5], fill=tuple(digest[12 + 3 * i:15 + 3 * i]))
        out = io.BytesIO()
        img.save(out, "PNG")
        return out.getvalue()

    @route("GET", "v1/images/(?P<image_id>[^/]+)")
    def get_image(self, req: Request, image_id: str) -> Response:
        denied = self._auth(req)
        if denied:
            return denied
        with self.lock:
            data = self.generated.get(image_id) or self.uploaded.get(image_id)
        if data is None or self.owners.get(image_id) != _token(req):
            return json_response({"statusCode": 404, "message": "Image not found"}, 404)
        return json_response({"id": image_id, "url": self.publish_file(data, ttl=self.output_ttl,
                                                                       name=f"{image_id}.png")})


def _token(req: Request) -> str:
    return req.header("authorization").removeprefix("Bearer ")


def _json(req: Request):
    try:
        return req.json()
    except ValueError:
        return None


def _multipart_file(req: Request) -> bytes:
    """The `file` part of a multipart/form-data body."""
    head = f"Content-Type: {req.header('content-type')}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + req.body)
    for part in message.iter_parts() if message.is_multipart() else ():
        if part.get_param("name", header="content-disposition") == "file":
            return part.get_payload(decode=True) or b""
    return b""
