"""A contract-faithful fake of the Huhu Studio Public API, built from the two Huhu documents only:
seeds/000_83a96c53b5cdf30b.txt (overview, "000") and seeds/001_7160986f48095db7.txt (long reference, "001").

Served under "/public/v1" on 127.0.0.1 (FakeVendorServer). What it enforces, with the section it follows:
- Bearer keys bound to one team (001 §3): 401 {"detail": "Invalid API key"} / "API key has been revoked";
  another team's program, project, SKU, task, model or request → 403 (000 "Authentication": "Requests to resources
  outside your team return 403. Revoked or invalid keys return 401.").
- Program scoping (001 §3 "Optional default program ... all endpoints auto-use that program when program_id is
  omitted"; §5.x "program_id ... (uses key default if omitted)"): every endpoint that takes program_id resolves it,
  or the key's default program; a key without one answers 400 "program_id is required..." (001 §3). A project,
  SKU, task, model or request of our team found in another program than the resolved one → 404 "... not found in
  program" (001 §6 404 "Verify all IDs (team, program, project, etc.)"). `FakeHuhu(default_program=False)` gives
  the main key no default program.
- Pace (001 §5.16 "Call every 5-10 seconds", §10 "Poll /task every 5-10 seconds (not faster)", 000 "Poll gently …
  not faster"): the same request (method, path and every parameter) again within `min_gap` seconds on the fake's
  clock is recorded in `pace_violations` (answered normally: Huhu documents no error for it; tests assert on it).
- The fields each endpoint names; missing or invalid → 422 {"detail": "..."} (001 §6 "All error responses follow
  the format"). POST /model/image with neither mode's fields → 400 (001 §5.15 "Errors").
- Project statuses Creating → Created (001 §5.13 "Updates project status from Creating to Created"); SKUs come into
  being only from a processed sku_zip, one folder = one SKU, images classified garment_type / view / presentation.
- Tasks: POST /task creates one task per garment view ("front view task + back view task", 000); POST
  /task/generate needs model_image (001 §5.24), num_output_images 1-4 (001 §5.25), walks "Task submitted" →
  "Generation started" → "Generation in process" → "Generation completed" on the fake's clock (`latency`);
  regenerating adds outputs to the same task (001 §8.7).
- Credits per the table (000 "Credit Costs"; try-on is HD, 001 §7 "ALWAYS use HD_P"), 402 when credits ≤ 0
  (001 §5.1 "Generation returns 402 if ≤ 0") and also when the request costs more than is left: the documents are
  unclear here (§5.1 says "≤ 0", §10 "check credits > estimated_cost"); the stricter reading is the one a real
  server may take, and the whole request is refused before anything is charged. 429 past `concurrent_requests`
  in-flight generation JOBS (001 §5.1 "max parallel generation jobs"; a POST /task/generate of a front and a back
  task is two jobs, §5.25).
- Output files through publish_file: signed URLs that expire after `url_ttl` (001 §10 "valid for ~1 hour").
- `paid[task_id]` counts accepted POST /task/generate submissions per task: the exactly-once proof.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import io
import itertools
import json
import math
import re
import secrets
import socket
import threading
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from tests.fakes.base import FakeVendorServer, Request, Response, json_response, route

PREFIX = "/public/v1"
MODEL_TYPES = {"Men", "Women", "Baby", "Toddler", "Kid", "Maternity"}
MODEL_SIZES = {"Petit", "Regular", "Plus size"}
FILE_TYPES = {"garment_image", "sku_zip", "model_image", "reference_image", "output_image"}
POSE_CATEGORIES = ("Women", "Men", "Child", "Infant")
PROMPT_TYPES = ("fullbody", "head_half_cropped", "top", "bottom", "close_up_upper_body", "close_up_lower_body")
# 000 "Credit Costs" / 001 §4 "Credits"
COST_HD_IMAGE = 2
COST_FACE_IMAGE = 2  # 001 §5.14 "Credits: 2 per image."
COST_MODEL_IMAGE = 2  # 001 §5.15 "Costs credits (2 per image)"
COST_MULTIPOSE = 2
COST_UPSCALE = 2  # 001 §5.28 "Costs 2 credits per image."
COST_VIDEO = {"5": 25, "10": 40}
MAX_UPSCALE_PIXELS = 18_000_000  # 001 §5.28 "input_pixels × factor² ≤ 18,000,000"
PART_SIZE = 5 * 1024 * 1024
TASK_WALK = ("Task submitted", "Generation started", "Generation in process")


class Problem(Exception):
    def __init__(self, status: int, detail: str, **headers):
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers


def png(seed: str, size=(96, 128)) -> bytes:
    digest = hashlib.sha256(seed.encode()).digest()
    out = io.BytesIO()
    Image.new("RGB", size, tuple(digest[:3])).save(out, "PNG")
    return out.getvalue()


def _hex() -> str:
    return secrets.token_hex(8)


@dataclass
class Team:
    team_id: str
    credits: int
    concurrent_requests: int
    default_program: str = ""
    plan_status: str = "free"


@dataclass
class Generation:
    """One accepted paid job (a task generation, a model/face/pose request, a video or an upscale)."""

    request_id: str
    team_id: str
    started: float
    latency: float
    fails: bool = False
    outputs: list[dict] = field(default_factory=list)

    def walk(self, now: float) -> str:
        if now >= self.started + self.latency:
            return "failed" if self.fails else "completed"
        elapsed = (now - self.started) / self.latency
        return TASK_WALK[0] if elapsed < 0.1 else TASK_WALK[1] if elapsed < 0.2 else TASK_WALK[2]


class FakeHuhu(FakeVendorServer):
    prefix = PREFIX

    def __init__(self, *, credits: int = 50, concurrent_requests: int = 10, latency: float = 90.0,
                 url_ttl: float = 3600.0, sku_processing_delay: float = 0.0, page_size: int = 100,
                 retry_after: str | None = None, default_program: bool = True, min_gap: float = 5.0):
        super().__init__()
        self.min_gap = min_gap
        self.pace_violations: list[dict] = []
        self._last_call: dict[str, float] = {}
        self.latency = latency
        self.url_ttl = url_ttl
        self.sku_processing_delay = sku_processing_delay
        self.page_size = page_size
        self.retry_after = retry_after  # the documents name no Retry-After header for Huhu; off by default
        self.keys: dict[str, str] = {}
        self.revoked: set[str] = set()
        self.teams: dict[str, Team] = {}
        self.programs: dict[str, dict] = {}
        self.projects: dict[str, dict] = {}
        self.skus: dict[str, dict] = {}
        self.images: dict[str, dict] = {}
        self.uploads: dict[str, dict] = {}
        self.tasks: dict[str, dict] = {}
        self.models: dict[str, dict] = {}
        self.model_images: dict[str, dict] = {}
        self.requests_by_id: dict[str, dict] = {}
        self.custom_poses: dict[str, dict] = {}
        self.videos: dict[str, dict] = {}
        self.upscales: dict[str, dict] = {}
        self.credit_history: list[dict] = []
        self.generations: list[Generation] = []
        self.paid: Counter[str] = Counter()  # accepted POST /task/generate per task id
        self.rejected_429 = 0
        self.peak_in_flight = 0
        self.fail_next = 0
        # Chaos hooks: after ACCEPTING (and charging) a generate, hold the answer until this event is set, or delay
        # it — the worker dies, or the broker redelivers, while Huhu already has the job.
        self.hold_generate: threading.Event | None = None
        self.generate_answer_delay = 0.0
        self._seq = itertools.count(1)
        self.pose_library = self._build_pose_library()
        self.api_key = self.add_team(credits=credits, concurrent_requests=concurrent_requests,
                                     default_program=default_program)
        self.team_id = self.keys[self.api_key]

    # --- test helpers ------------------------------------------------------------------------------------------
    def add_team(self, *, credits: int = 50, concurrent_requests: int = 10, default_program: bool = True) -> str:
        """A team with a key bound to it and, unless default_program=False, a default program (001 §3 "Key with
        default program"; "Optional default program")."""
        team_id = f"team-{_hex()}"
        key = "sk-" + secrets.token_hex(24)  # 001 §3: "sk- followed by 48 hex characters"
        team = Team(team_id, credits, concurrent_requests)
        self.teams[team_id] = team
        self.keys[key] = team_id
        program = self._new_program(team_id, "Default program")["program_id"]
        team.default_program = program if default_program else ""
        return key

    def revoke(self, key: str) -> None:
        self.revoked.add(key)

    def team(self, key: str | None = None) -> Team:
        return self.teams[self.keys[key or self.api_key]]

    def set_credits(self, credits: int, key: str | None = None) -> None:
        with self.lock:
            self.team(key).credits = credits

    def fail_generations(self, n: int = 1) -> None:
        self.fail_next += n

    def add_model(self, name: str, *, team_key: str | None = None, model_type="Women", model_size="Regular",
                  attributes: dict | None = None, images: int = 2, program_id: str | None = None) -> dict:
        team = self.team(team_key)
        program_id = program_id or team.default_program or next(
            p["program_id"] for p in self.programs.values() if p["team_id"] == team.team_id)
        model = self._new_model(team.team_id, program_id, {
            "model_name": name, "model_type": model_type, "model_size": model_size, "attributes": attributes or {}})
        for i in range(images):
            view = "front_facing" if i % 2 == 0 else "back_facing"
            self._new_model_image(model, f"style-{model['model_id'][:6]}", png(f"{name}{i}"), view, "fullbody")
        return model

    def in_flight(self, team_id: str | None = None) -> int:
        now = self.clock()
        return sum(1 for g in self.generations
                   if (team_id is None or g.team_id == team_id) and g.walk(now) not in ("completed", "failed"))

    # --- pace ----------------------------------------------------------------------------------------------------
    def on_request(self, req: Request) -> None:
        """The 5 s rule: the same request again (same method, path, query and body) within `min_gap` seconds."""
        if not req.path.startswith(PREFIX):
            return
        body = req.body.decode("utf-8", "replace")
        try:
            body = json.dumps(json.loads(body), sort_keys=True) if body else ""
        except ValueError:
            pass
        query = json.dumps(sorted((k, v) for k, v in req.query.items()))
        key = hashlib.sha256(f"{req.method} {req.path} {query} {body}".encode()).hexdigest()
        with self.lock:
            now = self.clock()
            last = self._last_call.get(key)
            if last is not None and now - last < self.min_gap:
                self.pace_violations.append({"method": req.method, "path": req.path[len(PREFIX):],
                                             "query": {k: v[0] for k, v in req.query.items()},
                                             "gap": round(now - last, 3)})
            self._last_call[key] = now

    def pace_report(self) -> list[str]:
        return [f"{v['method']} {v['path']} {v['query']} after {v['gap']} s" for v in self.pace_violations]

    # --- plumbing ------------------------------------------------------------------------------------------------
    def _dispatch(self, handler):
        # The base handler writes headers and body separately: without TCP_NODELAY, Nagle here plus delayed ACK on
        # the client add ~40 ms to every answer with a body (it would skew the benchmark).
        try:
            handler.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (OSError, AttributeError):
            pass
        # Presigned part uploads live on "S3", outside the API prefix and without the Bearer key.
        if handler.command == "PUT" and handler.path.startswith("/_s3/"):
            length = int(handler.headers.get("Content-Length") or 0)
            body = handler.rfile.read(length) if length else b""
            return self._write(handler, self._put_part(handler.path, body))
        return super()._dispatch(handler)

    def _auth(self, req: Request) -> Team:
        header = req.header("authorization")
        key = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if key in self.revoked:
            raise Problem(401, "API key has been revoked")
        if key not in self.keys:
            raise Problem(401, "Invalid API key")
        return self.teams[self.keys[key]]

    def _params(self, req: Request) -> dict:
        """Body fields for JSON requests, merged over query parameters (several endpoints document both)."""
        params = {k: v[0] for k, v in req.query.items()}
        if req.body:
            try:
                body = json.loads(req.body)
            except ValueError:
                raise Problem(422, "Request body is not valid JSON") from None
            if not isinstance(body, dict):
                raise Problem(422, "Request body must be a JSON object")
            params.update(body)
        return params

    def _program(self, team: Team, params: dict) -> dict:
        program_id = params.get("program_id") or team.default_program
        if not program_id:
            raise Problem(400, "program_id is required when the API key has no default program")
        program = self.programs.get(program_id)
        if program is None:
            raise Problem(404, f"Program {program_id} not found")
        if program["team_id"] != team.team_id and team.team_id not in program["shared_with"]:
            raise Problem(403, "API key not authorized for this team")
        return program

    def _owned(self, table: dict, key: str, team: Team, what: str) -> dict:
        obj = table.get(key)
        if obj is None:
            raise Problem(404, f"{what} {key} not found")
        program = self.programs.get(obj.get("program_id") or "")
        shared = program is not None and team.team_id in program["shared_with"]
        if obj["team_id"] != team.team_id and not shared:
            raise Problem(403, "API key not authorized for this team")
        return obj

    def _scoped(self, table: dict, key: str, team: Team, program: dict, what: str) -> dict:
        """A resource of the team resolved in `program` (the program_id sent, else the key's default): one that lives
        in another program is not found there (001 §3 default program; §6 404)."""
        obj = self._owned(table, key, team, what)
        if obj.get("program_id") != program["program_id"]:
            raise Problem(404, f"{what} not found in program")
        return obj

    @staticmethod
    def _require(params: dict, *names: str) -> None:
        missing = [n for n in names if params.get(n) in (None, "", [])]
        if missing:
            raise Problem(422, f"Field required: {', '.join(missing)}")

    @staticmethod
    def _int_in(params: dict, name: str, default: int, lo: int, hi: int) -> int:
        value = params.get(name, default)
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise Problem(422, f"{name} must be an integer") from None
        if isinstance(value, float) and value != number or not lo <= number <= hi:
            raise Problem(422, f"{name} must be between {lo} and {hi}")
        return number

    @staticmethod
    def _b64(data: Any, name: str) -> bytes:
        if not isinstance(data, str):
            raise Problem(422, f"{name} must be a base64 string")
        try:
            return base64.b64decode(data.split(",", 1)[-1], validate=True)
        except (binascii.Error, ValueError):
            raise Problem(422, f"{name} is not valid base64") from None

    def _page(self, items: list, token: str | None, size: int | None = None) -> tuple[list, str | None]:
        size = size or self.page_size
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
        except (ValueError, binascii.Error):
            raise Problem(422, "Invalid pagination_token") from None
        chunk = items[start:start + size]
        more = start + size < len(items)
        return chunk, base64.urlsafe_b64encode(str(start + size).encode()).decode() if more else None

    @staticmethod
    def _afford(team: Team, credits: int) -> None:
        # 001 §5.1: "Generation returns 402 if ≤ 0."; §10 "check credits > estimated_cost" (see the docstring).
        if team.credits <= 0 or team.credits < credits:
            raise Problem(402, "Insufficient credits")

    def _charge(self, team: Team, program_id: str, credits: int, operation: str, request_id: str) -> None:
        self._afford(team, credits)
        team.credits -= credits
        self.credit_history.append({"program_id": program_id, "request_id": request_id, "credits": credits,
                                    "timestamp": int(self.clock() * 1000), "operation": operation,
                                    "request_source": "api", "team_id": team.team_id})

    def _admit(self, team: Team, slots: int) -> None:
        # 001 §5.25 "Errors: 429 — Concurrent requests limit exceeded."
        if self.in_flight(team.team_id) + slots > team.concurrent_requests:
            self.rejected_429 += 1
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            raise Problem(429, "Concurrent requests limit exceeded", **headers)

    def _generation(self, team: Team, request_id: str) -> Generation:
        fails = self.fail_next > 0
        self.fail_next -= 1 if fails else 0
        gen = Generation(request_id, team.team_id, self.clock(), max(self.latency, 1e-9), fails)
        self.generations.append(gen)
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight())
        return gen

    def _ms(self) -> int:
        return int(self.clock() * 1000)

    def _file_url(self, data: bytes, name: str = "output.png", content_type: str = "image/png") -> str:
        return self.publish_file(data, content_type, ttl=self.url_ttl, name=name)

    def _call(self, req: Request, fn) -> Response:
        try:
            with self.lock:
                team = self._auth(req)
                result = fn(team, self._params(req))
            return result if isinstance(result, Response) else json_response(result)
        except Problem as problem:
            return json_response({"detail": problem.detail}, problem.status, **problem.headers)

    # --- metering ------------------------------------------------------------------------------------------------
    @route("GET", "/metering/plan")
    def plan(self, req):
        def handle(team, params):
            if params.get("program_id"):
                self._program(team, params)
            return {"credits": team.credits, "plan_status": team.plan_status,
                    "concurrent_requests": team.concurrent_requests, "platform": None, "customer_id": None,
                    "plan_id": None, "plan_name": None, "current_period_end": None, "subscription_id": None,
                    "auto_reload": None, "auto_reload_threshold": None}
        return self._call(req, handle)

    @route("GET", "/metering/credit-history")
    def credit_history_route(self, req):
        def handle(team, params):
            program = self._program(team, params)
            items = [{k: v for k, v in e.items() if k != "team_id"} for e in self.credit_history
                     if e["program_id"] == program["program_id"]]
            if str(params.get("fetch_all", "")).lower() == "true":
                return {"items": items[:10_000], "pagination_token": None}
            page, token = self._page(items, params.get("pagination_token"))
            return {"items": page, "pagination_token": token}
        return self._call(req, handle)

    # --- programs and projects ---------------------------------------------------------------------------------
    def _new_program(self, team_id: str, name: str) -> dict:
        program = {"program_id": f"prog-{_hex()}", "program_name": name, "create_time": self._ms(),
                   "user_id": f"user-{team_id[-6:]}", "team_id": team_id, "shared_with": set()}
        self.programs[program["program_id"]] = program
        return program

    @route("GET", "/program")
    def list_programs(self, req):
        def handle(team, params):
            owned = str(params.get("owned", "false")).lower() == "true"
            rows = [p for p in self.programs.values()
                    if p["team_id"] == team.team_id or (not owned and team.team_id in p["shared_with"])]
            page, token = self._page(rows, params.get("pagination_token"))
            return {"programs": [{k: p[k] for k in ("program_id", "program_name", "create_time", "user_id")}
                                 for p in page], "pagination_token": token}
        return self._call(req, handle)

    @route("POST", "/program")
    def create_program(self, req):
        # 000 shows program_name as a body field, 001 §5.4 as a query parameter: both are accepted.
        def handle(team, params):
            self._require(params, "program_name")
            p = self._new_program(team.team_id, str(params["program_name"]))
            return {k: p[k] for k in ("program_id", "program_name", "user_id", "create_time")}
        return self._call(req, handle)

    def _project_status(self, project: dict) -> str:
        ready_at = project.get("ready_at")
        if ready_at is not None and self.clock() >= ready_at:
            self._process_zips(project)
        return project["project_status"]

    def _project_view(self, project: dict) -> dict:
        return {"project_id": project["project_id"], "project_name": project["project_name"],
                "project_status": self._project_status(project), "create_time": project["create_time"],
                "program_id": project["program_id"]}

    @route("GET", "/project")
    def get_project(self, req):
        def handle(team, params):
            program = self._program(team, params)
            if params.get("project_id"):
                return self._project_view(self._scoped(self.projects, params["project_id"], team, program, "Project"))
            rows = [p for p in self.projects.values() if p["program_id"] == program["program_id"]]
            page, token = self._page(rows, params.get("pagination_token"))
            return {"projects": [self._project_view(p) for p in page], "pagination_token": token}
        return self._call(req, handle)

    @route("POST", "/project")
    def create_project(self, req):
        # 000 shows a JSON body, 001 §5.6 query parameters: both are accepted. 001 §5.6 says the response has the
        # "Same shape as 5.6" (itself); we answer the project detail shape of 000 "GET /project".
        def handle(team, params):
            self._require(params, "project_name")
            program = self._program(team, params)
            project = {"project_id": f"proj-{_hex()}", "project_name": str(params["project_name"]),
                       "project_status": "Created", "create_time": self._ms(), "program_id": program["program_id"],
                       "team_id": team.team_id, "pending_zips": [], "ready_at": None}
            self.projects[project["project_id"]] = project
            return self._project_view(project)
        return self._call(req, handle)

    @route("POST", "/project/upload")
    def upload(self, req):
        def handle(team, params):
            self._require(params, "project_id", "file_type")
            project = self._scoped(self.projects, params["project_id"], team, self._program(team, params), "Project")
            file_type = params["file_type"]
            if file_type not in FILE_TYPES:
                raise Problem(422, f"file_type must be one of: {', '.join(sorted(FILE_TYPES))}")
            if file_type == "sku_zip":
                return self._init_multipart(team, project, params)
            self._require(params, "file_data")
            data = self._b64(params["file_data"], "file_data")
            try:
                Image.open(io.BytesIO(data)).verify()
            except Exception:
                raise Problem(422, "file_data is not an image") from None
            folder = {"garment_image": "sku_images", "model_image": "model_images"}.get(file_type, file_type + "s")
            image_id = f"assets/{folder}/{_hex()}.png"
            self.images[image_id] = {"team_id": team.team_id, "data": data, "file_type": file_type}
            return {"success": True, "image_id": image_id}
        return self._call(req, handle)

    def _init_multipart(self, team: Team, project: dict, params: dict) -> dict:
        self._require(params, "file_size")
        try:
            size = int(params["file_size"])
        except (TypeError, ValueError):
            raise Problem(422, "file_size must be a number") from None
        if size <= 0:
            raise Problem(422, "file_size must be positive")
        upload_id = secrets.token_urlsafe(12)
        key = f"{team.team_id}/{project['program_id']}/{project['project_id']}/assets/sku_zip/{self._ms()}.zip"
        parts = max(1, math.ceil(size / PART_SIZE))
        self.uploads[upload_id] = {"key": key, "project_id": project["project_id"], "team_id": team.team_id,
                                   "parts": {}, "done": False}
        urls = [f"{self.origin}/_s3/{upload_id}?partNumber={n}&uploadId={upload_id}" for n in range(1, parts + 1)]
        return {"message": "success", "key": key, "upload_id": upload_id, "upload_urls": urls}

    def _put_part(self, raw_path: str, body: bytes) -> Response:
        match = re.match(r"^/_s3/([^/?]+)\?partNumber=(\d+)", raw_path)
        with self.lock:
            upload = self.uploads.get(match.group(1)) if match else None
            if upload is None or upload["done"]:
                return Response(404, body=b"<Error><Code>NoSuchUpload</Code></Error>", content_type="application/xml")
            etag = '"' + hashlib.md5(body).hexdigest() + '"'
            upload["parts"][int(match.group(2))] = (body, etag)
        return Response(200, body=b"", headers={"ETag": etag})

    @route("POST", "/project/complete_multipart_upload")
    def complete_upload(self, req):
        def handle(team, params):
            self._require(params, "project_id", "key", "upload_id", "parts")
            project = self._scoped(self.projects, params["project_id"], team, self._program(team, params), "Project")
            upload = self.uploads.get(params["upload_id"])
            if upload is None or upload["key"] != params["key"] or upload["project_id"] != project["project_id"]:
                raise Problem(404, "Upload not found")
            parts = params["parts"]
            if not isinstance(parts, list) or not parts:
                raise Problem(422, "parts must be a non-empty list of {PartNumber, ETag}")
            chunks = []
            for part in sorted(parts, key=lambda p: int(p.get("PartNumber", 0)) if isinstance(p, dict) else 0):
                if not isinstance(part, dict) or "PartNumber" not in part or "ETag" not in part:
                    raise Problem(422, "each part needs PartNumber and ETag")
                stored = upload["parts"].get(int(part["PartNumber"]))
                if stored is None or stored[1] != part["ETag"]:
                    raise Problem(422, f"part {part['PartNumber']} was not uploaded or its ETag does not match")
                chunks.append(stored[0])
            upload["done"] = True
            try:
                archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
                entries = [(n, archive.read(n)) for n in archive.namelist() if not n.endswith("/")]
            except zipfile.BadZipFile:
                raise Problem(422, "The uploaded file is not a zip archive") from None
            project["pending_zips"].append(entries)
            project["project_status"] = "Creating"
            project["ready_at"] = self.clock() + self.sku_processing_delay
            return {"message": "success"}
        return self._call(req, handle)

    def _process_zips(self, project: dict) -> None:
        """The asynchronous AI worker of 001 §5.13: one folder = one SKU; classify each garment image."""
        for entries in project["pending_zips"]:
            folders: dict[str, list] = {}
            for name, data in entries:
                parts = name.split("/")
                if len(parts) >= 2 and parts[-1] and not parts[-1].startswith("."):
                    folders.setdefault(parts[0], []).append((parts[-1], data))
            for sku_name, files in folders.items():
                images = [self._classify(project, fname, data) for fname, data in files]
                types = {g["garment_type"] for g in images}
                sku_type = "Full body" if {"Top", "Bottom"} <= types else sorted(types)[0] if types else "Top"
                sku = {"sku_id": f"sku-{_hex()}", "sku_name": sku_name, "garment_type": sku_type,
                       "garment_images": images, "project_id": project["project_id"], "team_id": project["team_id"],
                       "program_id": project["program_id"], "sku_status": "Created", "model_id": None,
                       "style_id": None, "model_images_front": [], "model_images_back": []}
                self.skus[sku["sku_id"]] = sku
        project["pending_zips"] = []
        project["ready_at"] = None
        project["project_status"] = "Created"

    def _classify(self, project: dict, file_name: str, data: bytes) -> dict:
        lowered = file_name.lower()
        view = "back" if "back" in lowered else "front"
        garment_type = ("Bottom" if re.search(r"bottom|pant|skirt|short|jean", lowered) else
                        "Shoes" if "shoe" in lowered else
                        "Accessory" if re.search(r"accessor|bag|hat", lowered) else "Top")
        image_id = f"assets/sku_images/{_hex()}.png"
        self.images[image_id] = {"team_id": project["team_id"], "data": data, "file_type": "garment_image"}
        return {"garment_id": _hex(), "image_id": image_id, "garment_type": garment_type, "view": view,
                "presentation": "on_model" if "model" in lowered else "flatlay_clean"}

    # --- SKUs ------------------------------------------------------------------------------------------------------
    def _sku_view(self, sku: dict, detail: bool) -> dict:
        view = {k: sku[k] for k in ("sku_id", "sku_name", "garment_type", "sku_status", "project_id")}
        if detail:
            view["garment_images"] = [dict(g, image_url=self._file_url(self.images[g["image_id"]]["data"]))
                                      for g in sku["garment_images"]]
            view.update(model_id=sku["model_id"], style_id=sku["style_id"])
        return view

    @route("GET", "/sku")
    def get_sku(self, req):
        def handle(team, params):
            self._require(params, "project_id")
            program = self._program(team, params)
            project = self._scoped(self.projects, params["project_id"], team, program, "Project")
            self._project_status(project)
            if params.get("sku_id"):
                sku = self._scoped(self.skus, params["sku_id"], team, program, "SKU")
                return {"skus": [self._sku_view(sku, True)]}
            rows = [s for s in self.skus.values() if s["project_id"] == project["project_id"]]
            page, token = self._page(rows, params.get("pagination_token"))
            return {"skus": [self._sku_view(s, False) for s in page], "pagination_token": token}
        return self._call(req, handle)

    @route("PUT", "/sku")
    def update_sku(self, req):
        def handle(team, params):
            self._require(params, "sku_ids")
            if not isinstance(params["sku_ids"], list):
                raise Problem(422, "sku_ids must be a list")
            garment_type = params.get("garment_type")
            if garment_type is not None and garment_type not in {"Top", "Bottom", "Full body", "Accessory", "Shoes",
                                                                  "top", "bottom"}:
                raise Problem(422, "garment_type is not one of Top, Bottom, Full body, Accessory, Shoes")
            program = self._program(team, params)
            if params.get("project_id"):
                self._scoped(self.projects, params["project_id"], team, program, "Project")
            for name in ("model_images_front", "model_images_back"):
                if params.get(name) is not None and not isinstance(params[name], list):
                    raise Problem(422, f"{name} must be a list of model image IDs")
            if params.get("model_id"):
                self._scoped(self.models, params["model_id"], team, program, "Model")
            updated = []
            for sku_id in params["sku_ids"]:
                sku = self._scoped(self.skus, sku_id, team, program, "SKU")
                for name in ("model_id", "style_id", "garment_type", "model_images_front", "model_images_back"):
                    if params.get(name) is not None:
                        sku[name] = params[name]
                updated.append(self._sku_view(sku, False))
            return {"skus": updated}
        return self._call(req, handle)

    # --- tasks ----------------------------------------------------------------------------------------------------
    def _task_status(self, task: dict) -> str:
        if not task["generations"]:
            return "Task created"
        gen = task["generations"][-1]
        walked = gen.walk(self.clock())
        if walked in ("completed", "failed") and not gen.outputs and not gen.fails:
            gen.outputs = [{"image_id": f"assets/outputs/{gen.request_id}/{i}.png",
                            "data": png(f"{task['task_id']}{gen.request_id}{i}")} for i in range(task["pending_n"])]
            task["outputs"].extend(gen.outputs)
        return {"completed": "Generation completed", "failed": "Generation failed"}.get(walked, walked)

    def _status_time(self, task: dict) -> int:
        if not task["generations"]:
            return task["create_time"]
        gen = task["generations"][-1]
        return int(min(self.clock(), gen.started + gen.latency) * 1000)

    @route("POST", "/task")
    def create_tasks(self, req):
        def handle(team, params):
            self._require(params, "project_id", "sku_ids")
            program = self._program(team, params)
            project = self._scoped(self.projects, params["project_id"], team, program, "Project")
            if not isinstance(params["sku_ids"], list):
                raise Problem(422, "sku_ids must be a list of SKU IDs")
            skus = [self._scoped(self.skus, s, team, program, "SKU") for s in params["sku_ids"]]
            for sku in skus:
                if sku["project_id"] != project["project_id"]:
                    raise Problem(404, f"SKU {sku['sku_id']} not found in project")
                # "front view task + back view task" (000 POST /task), pairing the garments of each view.
                for view in ("front", "back"):
                    garments = [g for g in sku["garment_images"] if g["view"] == view]
                    if not garments:
                        continue
                    task_id = f"task-{_hex()}"
                    self.tasks[task_id] = {
                        "task_id": task_id, "sku_id": sku["sku_id"], "project_id": project["project_id"],
                        "program_id": project["program_id"], "team_id": team.team_id,
                        "garment_view": "Front Full" if view == "front" else "Back Full",
                        "selected_garment_image_ids": [g["image_id"] for g in garments],
                        "garment_type": sku["garment_type"], "model_image": None, "model_id": None,
                        "generations": [], "outputs": [], "pending_n": 1, "create_time": self._ms()}
                sku["sku_status"] = "In process"
            return {"message": "success"}
        return self._call(req, handle)

    @route("PUT", "/task")
    def update_task(self, req):
        def handle(team, params):
            self._require(params, "project_id", "task_id", "sku_id")
            task = self._scoped(self.tasks, params["task_id"], team, self._program(team, params), "Task")
            if task["sku_id"] != params["sku_id"] or task["project_id"] != params["project_id"]:
                raise Problem(404, "Task not found for this project and SKU")
            for name in ("model_image", "model_id"):
                if params.get(name):
                    task[name] = params[name]
            return self._task_view(task, detail=False)
        return self._call(req, handle)

    @route("POST", "/task/generate")
    def generate(self, req):
        def handle(team, params):
            self._require(params, "project_id", "task_ids")
            if not isinstance(params["task_ids"], list):
                raise Problem(422, "task_ids must be a list")
            n = self._int_in(params, "num_output_images", 1, 1, 4)
            if params.get("prompt") is not None and not isinstance(params["prompt"], str):
                raise Problem(422, "prompt must be a string")
            program = self._program(team, params)
            tasks = [self._scoped(self.tasks, t, team, program, "Task") for t in params["task_ids"]]
            for task in tasks:
                if task["project_id"] != params["project_id"]:
                    raise Problem(404, f"Task {task['task_id']} not found in project")
                if not task["model_image"]:
                    raise Problem(422, f"Task {task['task_id']} has no model_image; set it with PUT /task first")
                if self._task_status(task) in TASK_WALK:
                    raise Problem(422, f"Task {task['task_id']} is already generating")
            self._admit(team, len(tasks))
            self._afford(team, COST_HD_IMAGE * n * len(tasks))  # all or nothing: no job is charged on a 402
            for task in tasks:
                request_id = f"req-{_hex()}"
                self._charge(team, task["program_id"], COST_HD_IMAGE * n, "StudioModelSaas", request_id)
                task["pending_n"] = n
                task["prompt"] = params.get("prompt")
                task["generations"].append(self._generation(team, request_id))
                self.paid[task["task_id"]] += 1
            return {"message": "success"}
        response = self._call(req, handle)
        if response.status == 200:  # outside the lock: the fake keeps answering other callers meanwhile
            if self.hold_generate is not None:
                self.hold_generate.wait(timeout=120)
            if self.generate_answer_delay:
                time.sleep(self.generate_answer_delay)
        return response

    def _task_view(self, task: dict, detail: bool) -> dict:
        status = self._task_status(task)
        view = {"task_id": task["task_id"], "task_status": status, "task_status_time": self._status_time(task),
                "garment_image_id": task["selected_garment_image_ids"][0], "garment_type": task["garment_type"],
                "garment_view": task["garment_view"], "selected_garment_image_ids": task["selected_garment_image_ids"],
                "model_image": task["model_image"], "output_image_id": None, "output_image_url": None,
                "output_video_id": None, "output_video_url": None}
        if task["outputs"]:
            last = task["outputs"][-1]
            view["output_image_id"] = last["image_id"]
            view["output_image_url"] = self._file_url(last["data"])
        if detail:
            view["output"] = [{"image_id": o["image_id"], "image_url": self._file_url(o["data"])}
                              for o in task["outputs"]]
        return view

    @route("GET", "/task")
    def get_tasks(self, req):
        def handle(team, params):
            program = self._program(team, params)
            if params.get("task_id") or params.get("sku_id"):
                self._require(params, "project_id", "sku_id", "task_id")
                self._scoped(self.projects, params["project_id"], team, program, "Project")
                task = self._scoped(self.tasks, params["task_id"], team, program, "Task")
                if task["sku_id"] != params["sku_id"] or task["project_id"] != params["project_id"]:
                    raise Problem(404, "Task not found")
                return self._task_view(task, detail=True)
            groups: dict[str, dict] = {}
            for task in self.tasks.values():
                if task["program_id"] != program["program_id"]:
                    continue
                sku = self.skus[task["sku_id"]]
                project = self.projects[task["project_id"]]
                group = groups.setdefault(sku["sku_id"], {
                    "team_name": team.team_id, "program_id": program["program_id"],
                    "program_name": program["program_name"], "project_id": project["project_id"],
                    "project_name": project["project_name"], "sku_id": sku["sku_id"], "sku_name": sku["sku_name"],
                    "sku_status": sku["sku_status"], "due_time": None, "tasks": []})
                group["tasks"].append(self._task_view(task, detail=False))
            page, token = self._page(list(groups.values()), params.get("pagination_token"))
            return {"program_id": program["program_id"], "skus": page, "total_skus": len(groups),
                    "pagination_token": token}
        return self._call(req, handle)

    # --- models ----------------------------------------------------------------------------------------------------
    def _new_model(self, team_id: str, program_id: str, params: dict) -> dict:
        model = {"model_id": f"model-{_hex()}", "model_name": params["model_name"],
                 "model_type": params.get("model_type"), "model_size": params.get("model_size"),
                 "model_visibility": "private", "create_time": self._ms(), "attributes": params.get("attributes") or {},
                 "team_id": team_id, "program_id": program_id}
        self.models[model["model_id"]] = model
        return model

    def _new_model_image(self, model: dict, style_id: str, data: bytes, view_type, crop_type) -> dict:
        image_id = f"assets/model_images/{_hex()}.png"
        self.images[image_id] = {"team_id": model["team_id"], "data": data, "file_type": "model_image"}
        row = {"model_image_id": image_id, "model_id": model["model_id"], "style_id": style_id,
               "view_type": view_type, "crop_type": crop_type, "team_id": model["team_id"]}
        self.model_images[image_id] = row
        return row

    @route("POST", "/model")
    def create_model(self, req):
        def handle(team, params):
            self._require(params, "model_name")
            if params.get("model_type") is not None and params["model_type"] not in MODEL_TYPES:
                raise Problem(422, f"model_type must be one of: {', '.join(sorted(MODEL_TYPES))}")
            if params.get("model_size") is not None and params["model_size"] not in MODEL_SIZES:
                raise Problem(422, f"model_size must be one of: {', '.join(sorted(MODEL_SIZES))}")
            if params.get("attributes") is not None and not isinstance(params["attributes"], dict):
                raise Problem(422, "attributes must be an object")
            program = self._program(team, params)
            model = self._new_model(team.team_id, program["program_id"], params)
            return {"success": True, "model_id": model["model_id"]}
        return self._call(req, handle)

    @route("GET", "/model")
    def get_models(self, req):
        def handle(team, params):
            if params.get("model_id"):
                model = self._scoped(self.models, params["model_id"], team, self._program(team, params), "Model")
                rows = [i for i in self.model_images.values() if i["model_id"] == model["model_id"]]
                return {"model_images": [dict({k: v for k, v in i.items() if k != "team_id"},
                                              model_image_url=self._file_url(self.images[i["model_image_id"]]["data"]))
                                         for i in rows]}
            program = self._program(team, params)
            rows = [m for m in self.models.values() if m["program_id"] == program["program_id"]]
            for name in ("model_type", "model_size"):
                if params.get(name):
                    rows = [m for m in rows if m[name] == params[name]]
            for name in ("ethnicity", "age_range", "hair_color", "skin_tone"):  # "fuzzy match" (001 §5.8)
                if params.get(name):
                    rows = [m for m in rows if params[name].lower() in str(m["attributes"].get(name, "")).lower()]
            return {"models": [{k: v for k, v in m.items() if k not in ("team_id", "program_id")} for m in rows]}
        return self._call(req, handle)

    def _request(self, team: Team, program: dict, kind: str, n: int, cost_each: int, operation: str) -> dict:
        request_id = f"req-{_hex()}"
        self._admit(team, 1)
        self._charge(team, program["program_id"], cost_each * n, operation, request_id)
        row = {"request_id": request_id, "team_id": team.team_id, "program_id": program["program_id"],
               "kind": kind, "num_output_images": n, "timestamp": self._ms(),
               "generation": self._generation(team, request_id)}
        self.requests_by_id[request_id] = row
        return row

    @route("POST", "/model/face")
    def face(self, req):
        def handle(team, params):
            self._require(params, "prompt")
            mode = params.get("mode", "variety")
            if mode not in ("variety", "fidelity"):
                raise Problem(422, "mode must be 'variety' or 'fidelity'")
            n = self._int_in(params, "num_output_images", 1, 1, 4)
            program = self._program(team, params)
            row = self._request(team, program, "face", n, COST_FACE_IMAGE, "ImageGeneration")
            return {"team_id": team.team_id, "program_id": program["program_id"], "request_id": row["request_id"],
                    "timestamp": row["timestamp"], "status": "Request Submitted", "images_generated": [],
                    "num_output_images": n}
        return self._call(req, handle)

    @route("POST", "/model/image")
    def model_image(self, req):
        def handle(team, params):
            if params.get("prompt"):
                n = self._int_in(params, "num_output_images", 1, 1, 8)
                ref = params.get("reference_image")
                if ref is not None and not isinstance(ref, str):
                    raise Problem(422, "reference_image must be a gallery image ID, an HTTP URL or base64")
                program = self._program(team, params)
                row = self._request(team, program, "model_image", n, COST_MODEL_IMAGE, "ImageGeneration")
                return {"request_id": row["request_id"], "status": "Request Submitted", "images_generated": [],
                        "num_output_images": n}
            if params.get("model_id") and (params.get("image_url") or params.get("file_data")):
                self._require(params, "style_id")
                model = self._scoped(self.models, params["model_id"], team, self._program(team, params), "Model")
                # No endpoint makes a style: they exist on Huhu's side and show as gallery images' style_id (001 §4,
                # §5.9). The documents do not say whether a style is per program; the fake asks only that the team
                # has it somewhere (an invented one such as "default" is refused).
                if not any(i["style_id"] == params["style_id"] and i["team_id"] == team.team_id
                           for i in self.model_images.values()):
                    raise Problem(404, f"Style {params['style_id']} not found")
                data = (self._b64(params["file_data"], "file_data") if params.get("file_data")
                        else self._bytes_for_url(params["image_url"]))
                row = self._new_model_image(model, params["style_id"], data, "front_facing", "fullbody")
                return {"success": True, "image_id": row["model_image_id"], "image_url": self._file_url(data),
                        "view_type": row["view_type"], "crop_type": row["crop_type"]}
            raise Problem(400, "Must provide either prompt (generate) or model_id + file_data/image_url (upload)")
        return self._call(req, handle)

    def _bytes_for_url(self, url: Any) -> bytes:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise Problem(422, "image_url must be an HTTP URL")
        match = re.search(r"/_files/([0-9a-f]+)/", url)
        entry = self._files.get(match.group(1)) if match else None
        return entry[0] if entry else png(url)

    @route("GET", "/model/image")
    def poll_model_image(self, req):
        def handle(team, params):
            self._require(params, "request_id")
            row = self._scoped(self.requests_by_id, params["request_id"], team, self._program(team, params),
                               "Request")
            gen: Generation = row["generation"]
            walked = gen.walk(self.clock())
            status = {"completed": "Generation Completed", "failed": "Generation Failed"}.get(walked,
                                                                                           "Request Submitted")
            images = []
            if walked == "completed":
                for i in range(row["num_output_images"]):
                    image_id = f"{team.team_id}/{row['program_id']}/assets/training/{row['request_id']}/{i}/output.png"
                    data = png(image_id)
                    self.images.setdefault(image_id, {"team_id": team.team_id, "data": data, "file_type": "output"})
                    images.append({"model_image_id": image_id, "model_image_url": self._file_url(data),
                                   "file_name": None})
            return {"program_id": row["program_id"], "request_id": row["request_id"], "timestamp": row["timestamp"],
                    "status": status, "images_generated": images, "num_output_images": row["num_output_images"]}
        return self._call(req, handle)

    @route("POST", "/model/pose")
    def model_pose(self, req):
        def handle(team, params):
            self._require(params, "prompt", "reference_image")
            program = self._program(team, params)
            row = self._request(team, program, "pose", 1, COST_MULTIPOSE, "StudioMultiPose")
            return {"request_id": row["request_id"]}
        return self._call(req, handle)

    # --- poses ----------------------------------------------------------------------------------------------------
    def _build_pose_library(self) -> list[dict]:
        """143 presets (001 §5.17), spread over the four categories and six prompt types."""
        names = ["Full body upright", "Full body straight on", "Full body straight on back view",
                 "Full body Semi-profile", "Semi-profile left", "Full body walking", "Seated relaxed",
                 "Head shot front", "Hands on hips"]
        poses = []
        for i in range(143):
            digest = hashlib.sha1(f"pose{i}".encode()).hexdigest()
            poses.append({"pose_id": digest, "pose_name": f"{names[i % len(names)]} {i // len(names) + 1}",
                          "model_category": POSE_CATEGORIES[(i // 6) % 4], "prompt_type": PROMPT_TYPES[i % 6],
                          "reference_image_url": f"https://cdn.huhu.ai/poses/{digest[:12]}.png",
                          "sketch_url": f"https://cdn.huhu.ai/poses/{digest[12:24]}.png"})
        return poses

    @route("GET", "/pose/library")
    def pose_library_route(self, req):
        def handle(team, params):
            rows = self.pose_library
            if params.get("model_category"):
                if params["model_category"] not in POSE_CATEGORIES:
                    raise Problem(422, "model_category must be one of: " + ", ".join(POSE_CATEGORIES))
                rows = [p for p in rows if p["model_category"] == params["model_category"]]
            if params.get("prompt_type"):
                if params["prompt_type"] not in PROMPT_TYPES:
                    raise Problem(422, "prompt_type must be one of: " + ", ".join(PROMPT_TYPES))
                rows = [p for p in rows if p["prompt_type"] == params["prompt_type"]]
            return {"poses": rows, "total": len(rows)}
        return self._call(req, handle)

    @route("GET", "/pose")
    def get_poses(self, req):
        def handle(team, params):
            if params.get("pose_id"):
                pose = self._scoped(self.custom_poses, params["pose_id"], team, self._program(team, params), "Pose")
                return {k: pose[k] for k in ("pose_id", "title", "prompt", "reference_image_presigned_url")}
            program = self._program(team, params)
            rows = [p for p in self.custom_poses.values() if p["program_id"] == program["program_id"]]
            return {"poses": [{k: v for k, v in p.items() if k not in ("team_id", "program_id")} for p in rows]}
        return self._call(req, handle)

    @route("POST", "/pose")
    def create_pose(self, req):
        def handle(team, params):
            self._require(params, "reference_image", "pose_title")
            ref = params["reference_image"]
            data = self._bytes_for_url(ref) if str(ref).startswith("http") else self._b64(ref, "reference_image")
            program = self._program(team, params)
            pose_id = _hex()
            prompt = f"{str(params['pose_title']).lower()} pose, front facing, arms at sides"
            self.custom_poses[pose_id] = {"pose_id": pose_id, "title": params["pose_title"], "prompt": prompt,
                                          "reference_image_presigned_url": self._file_url(data),
                                          "prompt_type": "fullbody", "team_id": team.team_id,
                                          "program_id": program["program_id"]}
            return {"status": "success", "pose_id": pose_id, "pose_prompt": prompt, "pose_title": params["pose_title"]}
        return self._call(req, handle)

    # --- video and upscale ----------------------------------------------------------------------------------------
    @route("POST", "/video")
    def create_video(self, req):
        def handle(team, params):
            self._require(params, "project_id", "sku_id", "video_length", "prompt", "first_frame_image")
            if str(params["video_length"]) not in COST_VIDEO or not isinstance(params["video_length"], str):
                raise Problem(422, 'video_length must be "5" or "10"')
            frame = params["first_frame_image"]
            if not isinstance(frame, dict) or not (frame.get("image_base64") or frame.get("image_id")):
                raise Problem(422, "first_frame_image must be {image_base64} or {image_id}")
            if frame.get("image_base64"):
                self._b64(frame["image_base64"], "first_frame_image.image_base64")
            program = self._program(team, params)
            project = self._scoped(self.projects, params["project_id"], team, program, "Project")
            self._scoped(self.skus, params["sku_id"], team, program, "SKU")
            if params.get("source_task_id"):  # optional (001 §5.26), but when sent it must be a task of this SKU
                source = self._scoped(self.tasks, params["source_task_id"], team, program, "Task")
                if source["sku_id"] != params["sku_id"]:
                    raise Problem(404, "Source task not found for this SKU")
            self._admit(team, 1)
            request_id = f"video-task-{_hex()}"
            self._charge(team, project["program_id"], COST_VIDEO[params["video_length"]], "StudioMisc", request_id)
            self.videos[request_id] = {"request_id": request_id, "team_id": team.team_id,
                                       "program_id": project["program_id"], "duration": params["video_length"],
                                       "prompt": params["prompt"], "source_task_id": params.get("source_task_id"),
                                       "generation": self._generation(team, request_id)}
            return {"program_id": project["program_id"], "task_id": request_id}
        return self._call(req, handle)

    @route("GET", "/video/requests")
    def video_requests(self, req):
        def handle(team, params):
            program = self._program(team, params)
            limit = self._int_in(params, "limit", 10, 1, 100)
            rows = [v for v in reversed(list(self.videos.values())) if v["program_id"] == program["program_id"]]
            if params.get("request_id"):
                rows = [v for v in rows if v["request_id"] == params["request_id"]]
            page, token = self._page(rows, params.get("pagination_token"), limit)
            out = []
            for v in page:
                walked = v["generation"].walk(self.clock())
                status = {"completed": "Generation completed", "failed": "Generation failed"}.get(
                    walked, "Generation in process")
                out.append({"request_id": v["request_id"], "request_status": status, "duration": v["duration"],
                            "prompt": v["prompt"], "video_url": self._file_url(
                                b"\x00\x00\x00\x18ftypmp42" + v["request_id"].encode(), "video.mp4", "video/mp4")
                            if walked == "completed" else None})
            return {"program_id": program["program_id"], "requests": out, "pagination_token": token}
        return self._call(req, handle)

    @route("POST", "/upscale")
    def upscale(self, req):
        def handle(team, params):
            self._require(params, "image")
            try:
                factor = float(params.get("upscale_factor", 2))
            except (TypeError, ValueError):
                raise Problem(422, "upscale_factor must be a number") from None
            if not 1 <= factor <= 4:
                raise Problem(422, "upscale_factor must be between 1 and 4")
            n = self._int_in(params, "num_images", 1, 1, 4)
            image = params["image"]
            data = self._bytes_for_url(image) if str(image).startswith("http") else self._b64(image, "image")
            try:
                width, height = Image.open(io.BytesIO(data)).size
            except Exception:
                raise Problem(422, "image is not a readable image") from None
            if width * height * factor ** 2 > MAX_UPSCALE_PIXELS:
                raise Problem(422, f"Output would be {int(width * height * factor ** 2):,} pixels; the maximum is "
                                   f"18,000,000 (input_pixels × factor² ≤ 18,000,000)")
            program = self._program(team, params)
            self._admit(team, 1)
            request_id = f"req-upscale-{_hex()}"
            self._charge(team, program["program_id"], COST_UPSCALE * n, "Upscale", request_id)
            self.upscales[request_id] = {"request_id": request_id, "team_id": team.team_id, "n": n,
                                         "program_id": program["program_id"],
                                         "size": (int(width * factor), int(height * factor)),
                                         "generation": self._generation(team, request_id)}
            return {"status": "success", "request_id": request_id, "cost": COST_UPSCALE * n}
        return self._call(req, handle)

    @route("GET", "/upscale")
    def poll_upscale(self, req):
        def handle(team, params):
            self._require(params, "request_id")
            row = self._scoped(self.upscales, params["request_id"], team, self._program(team, params), "Request")
            walked = row["generation"].walk(self.clock())
            status = {"completed": "success", "failed": "failed"}.get(walked, "pending")
            urls = [self._file_url(png(f"{row['request_id']}{i}", (64, 64))) for i in range(row["n"])] \
                if status == "success" else []
            return {"request_id": row["request_id"], "status": status, "operation": "Supir_Upscale",
                    "result_urls": urls}
        return self._call(req, handle)
