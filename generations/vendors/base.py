"""The adapter contract every vendor module implements, the capability table, and the one error tree.

Shape (after django-anymail's backends): the engine (generations/engine/runs.py) owns the order of the durable steps —
prepare → submit (the one paid call) → poll → collect outputs — and calls the small hooks below. A vendor module
overrides only what differs: payloads, endpoints, response parsing, status mapping. Anything a vendor cannot
express raises `Unsupported` instead of being silently dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal

if TYPE_CHECKING:
    from generations.models import Task, VendorAccount


# The error tree lives in errors.py (used by http.py too); named here as well, where adapters look for it.
from .errors import (  # noqa: F401
    ConfigurationError, VendorError, AuthError, Forbidden, InsufficientCredits, ValidationFailed, NotFound,
    Unsupported, RateLimited, Unavailable, OutcomeUnknown, GenerationFailed, FetchRefused, OutputExpired,
)


# --- What a vendor package shows on the core pages ----------------------------------------------------------------
ContributionPage = Literal["sku", "model", "model_gallery", "pose_library", "account"]


@dataclass(frozen=True)
class Contribution:
    """One piece a vendor package adds to a core page (after Wagtail's hooks and allauth's provider registry): the
    core template asks the registry what the team's accounts contribute to it and renders that, so no core module
    imports a vendor package (DESIGN.md §1). Declared on the adapter class, in `contributions`.

    page: sku (the SKU page), model (a fashion model's page), model_gallery and pose_library (a program's pages),
    account (one vendor account's page). kind: "panel" (a block loaded by htmx from `url_name`), "action" (a POST
    button to `url_name`, carrying the account, and with carry_filters the page's filters too) or "link" (a button
    to `url_name` + `query`). The url is reversed with the page object's `url_arg` (a dotted attribute path), and
    `query` is formatted with the page object as `obj`."""

    page: ContributionPage
    kind: Literal["panel", "action", "link"]
    url_name: str
    label: str
    url_arg: str = "pk"
    query: str = ""
    title: str = ""
    carry_filters: bool = False
    role: str = "edit"  # studio.roles: who sees it (panels and actions change things at the vendor)


# --- Capabilities -----------------------------------------------------------------------------------------------
OptionKind = Literal["int", "float", "choice", "bool", "text"]


@dataclass(frozen=True)
class Option:
    name: str
    label: str
    kind: OptionKind
    choices: tuple[tuple[str, str], ...] = ()
    min: float | None = None
    max: float | None = None
    default: Any = None
    required: bool = False
    help: str = ""

    def clean(self, value: Any) -> Any:
        if value in (None, ""):
            if self.required:
                raise ValidationFailed(f"{self.label} is required")
            return self.default
        try:
            if self.kind == "int":
                value = int(value)
            elif self.kind == "float":
                value = float(value)
            elif self.kind == "bool":
                value = value if isinstance(value, bool) else str(value).lower() in {"1", "true", "on", "yes"}
            else:
                value = str(value)
        except (TypeError, ValueError):
            raise ValidationFailed(f"{self.label} must be a {self.kind}") from None
        if self.kind == "choice" and value not in {c for c, _ in self.choices}:
            allowed = ", ".join(c for c, _ in self.choices)
            raise ValidationFailed(f"{self.label} must be one of: {allowed}")
        if self.min is not None and value < self.min or self.max is not None and value > self.max:
            raise ValidationFailed(f"{self.label} must be between {self.min:g} and {self.max:g}")
        return value


@dataclass(frozen=True)
class OperationSpec:
    operation: str  # a generations.models.Operation value
    options: tuple[Option, ...] = ()
    outputs_min: int = 1
    outputs_max: int = 1
    needs_garment: bool = False
    needs_model_image: bool = False
    accepts_pose: bool = False
    accepts_prompt: bool = True
    needs_parent_output: bool = False
    output_kind: Literal["image", "video"] = "image"
    help: str = ""


@dataclass(frozen=True)
class Capabilities:
    operations: dict[str, OperationSpec] = field(default_factory=dict)

    def spec(self, operation: str) -> OperationSpec:
        try:
            return self.operations[operation]
        except KeyError:
            raise Unsupported(f"this vendor does not offer {operation.replace('_', ' ')}") from None

    def clean(self, operation: str, options: dict, num_outputs: int) -> dict:
        """Validate options and the output count against the table; unknown options are refused, not dropped."""
        spec = self.spec(operation)
        known = {o.name: o for o in spec.options}
        unknown = set(options) - set(known)
        if unknown:
            raise Unsupported(f"unsupported option(s) for {operation}: {', '.join(sorted(unknown))}")
        if not spec.outputs_min <= num_outputs <= spec.outputs_max:
            raise ValidationFailed(f"number of outputs must be between {spec.outputs_min} and {spec.outputs_max}")
        return {name: opt.clean(options.get(name)) for name, opt in known.items()}


@dataclass(frozen=True)
class AccountSetting:
    """A vendor-specific setting a team admin edits as a real field on the account page (kept in
    VendorAccount.settings[group][key], or settings[key] without a group), with its default shown."""

    key: str
    label: str
    default: str
    group: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    help: str = ""

    @property
    def field_name(self) -> str:
        return f"vs__{self.group}__{self.key}" if self.group else f"vs__{self.key}"

    def read(self, settings: dict) -> str:
        container = (settings or {}).get(self.group) or {} if self.group else (settings or {})
        value = container.get(self.key) if isinstance(container, dict) else None
        return str(value) if value not in (None, "") else self.default


# --- Normalized results -----------------------------------------------------------------------------------------
@dataclass
class Balance:
    credits: Decimal | None
    concurrency: int | None = None
    raw: dict = field(default_factory=dict)


@dataclass
class Submission:
    """What the paid call returned: the vendor's id for the job (saved immediately after the call)."""

    vendor_task_id: str
    raw: dict = field(default_factory=dict)
    charged_credits: Decimal | None = None


@dataclass
class RemoteOutput:
    """One result. Either `url` (fetched through the guarded downloader) or `data` (bytes already in hand)."""

    result_id: str
    url: str | None = None
    data: bytes | None = None
    kind: Literal["image", "video"] = "image"
    raw: dict = field(default_factory=dict)


JobState = Literal["pending", "running", "completed", "failed"]


@dataclass
class PollResult:
    state: JobState
    vendor_status: str = ""
    outputs: list[RemoteOutput] = field(default_factory=list)
    error: str = ""
    charged_credits: Decimal | None = None
    raw: dict = field(default_factory=dict)
    finished_at: float | None = None  # epoch seconds the vendor reports the job finished at, when it says


# --- The adapter ------------------------------------------------------------------------------------------------
class VendorAdapter:
    """One instance per account per unit of work. Subclasses set the class attributes and implement the hooks."""

    vendor: ClassVar[str]
    label: ClassVar[str]
    default_base_url: ClassVar[str] = ""
    capabilities: ClassVar[Capabilities] = Capabilities()
    # Whether the vendor offers a listing we can search for a submission whose id we never saved
    # (Huhu GET /task, Uwear GET /generations). Without it, an unknown outcome stops in "needs attention".
    can_reconcile: ClassVar[bool] = False
    # How long a lost paid call is looked for in that listing before the engine concludes it never happened: a
    # listing can lag behind the job (several looks, spaced out, over this many seconds). account.settings
    # ["settle_seconds"] or settings.STUDIO_SETTLE_SECONDS change it.
    settle_seconds: ClassVar[float] = 180.0
    settle_looks: ClassVar[int] = 4
    # Where a person checks what the vendor did (and charged) when the engine cannot: shown on a held task.
    dashboard_url: ClassVar[str] = ""
    # Vendor-specific settings offered as fields on the account page (generations/accounts.py).
    account_settings: ClassVar[tuple[AccountSetting, ...]] = ()
    # What this vendor adds to the core pages (Contribution above), the dotted path of its url patterns (mounted at
    # the site root by generations/urls.py through the registry), and whether it suggests a prompt for a SKU.
    contributions: ClassVar[tuple[Contribution, ...]] = ()
    urls: ClassVar[str] = ""
    webhooks: ClassVar[str] = ""  # the module declaring its WebhookView (engine/webhooks.py), imported on first use
    suggests_prompts: ClassVar[bool] = False
    # Team-wide features this vendor provides beyond generation ("vision": ArtEmotion's captions and NSFW gate,
    # switched on in the team settings).
    team_features: ClassVar[frozenset[str]] = frozenset()
    # Whether one call can report on many jobs (Huhu's GET /task lists every task): then poll_many is cheaper.
    batch_polling: ClassVar[bool] = False
    # Documented submission rate per key, if any (ArtEmotion: 10 try-on per minute).
    submissions_per_minute: ClassVar[int | None] = None
    # Seconds between polls of a running job (Huhu 001 advises polling every 5–10 seconds).
    poll_interval: ClassVar[float] = 5.0
    # Whether the engine should refresh the balance and concurrency limit (check_balance) before paid calls, at
    # most every STUDIO_BALANCE_RECHECK_SECONDS per account (Huhu 000: "Call this before generation requests").
    balance_before_submit: ClassVar[bool] = False
    # Set by the engine before poll_many: a shared (batched) answer older than this time (epoch seconds) does not
    # do for the polling task, which was expected to finish by then. None: any recent shared answer will do.
    poll_fresh_after: float | None = None

    # Engine conventions the hooks can rely on (generations/engine/runs.py):
    # - task.attempt_key is set (a uuid hex) before submit(); send it as the vendor's idempotency key where one
    #   exists, and keep it findable for find_submission (a tag, a name, a client reference).
    # - task.vendor_state["submission"] holds Submission.raw after submit; task.vendor_state["poll"] the last
    #   PollResult.raw. Adapters may read both; they do not write the Task row themselves.

    def __init__(self, account: VendorAccount, client=None):
        self.account = account
        self._client = client

    @property
    def base_url(self) -> str:
        return (self.account.base_url or self.default_base_url).rstrip("/")

    def auth_headers(self) -> dict[str, str]:
        """Headers that authenticate this account (read the key with account.reveal_api_key()). Never logged."""
        return {}

    @property
    def client(self):
        """The one httpx client (vendors/http.py), bound to this account's base URL and auth headers. Every call
        through it maps HTTP failures to the error tree above and logs method, host, path, status and time only."""
        if self._client is None:
            from .http import VendorClient

            client_class = self.client_class or VendorClient
            self._client = client_class(self.base_url, headers=self.auth_headers(),
                                        secrets=self.account.own_secrets(), before_send=self._before_send)
        return self._client

    # A VendorClient subclass, for a vendor whose transport needs more (Huhu: its own retry pace). None: VendorClient.
    client_class: ClassVar[type | None] = None

    # Set by the engine around the paid call (runs.StepRun.step_submit): called just before a request that changes
    # something leaves, so the engine knows the paid call went out. An adapter that calls no HTTP API (the sandbox)
    # calls self._before_send itself at the point of no return.
    on_send = None

    def _before_send(self, method: str, path: str) -> None:
        if self.on_send is not None and self.is_paid_request(method, path):
            self.on_send(method, path)

    def is_paid_request(self, method: str, path: str) -> bool:
        """Whether this request (one that changes something, made inside submit()) is the paid call. Default: any
        such request is treated as paid, the safe side. An adapter whose submit() does unpaid groundwork over HTTP
        first (Huhu: POST /task, PUT /task before POST /task/generate) names its paid endpoints, so a failure of
        the groundwork stays a plain retry."""
        return True

    def close(self) -> None:
        if self._client is not None and hasattr(self._client, "close"):
            self._client.close()

    # Class-level hooks a vendor package may define ------------------------------------------------------------------
    @classmethod
    def connect(cls) -> None:
        """Called once when the studio starts (generations.apps, through the registry): connect the package's signal
        handlers (ArtEmotion's Vision holds new outputs for the NSFW gate and captions new garment images)."""

    @classmethod
    def suggested_prompt(cls, sku, *, pose=None, style=None, model_image=None) -> str:
        """A prompt this vendor suggests for one SKU on the generate form ("" for none; `suggests_prompts` says
        whether a vendor ever does). Hautech writes its prompts from the SKU (seed 003, "Prompt examples")."""
        return ""

    # Hooks every vendor implements ------------------------------------------------------------------------------
    def estimate(self, operation: str, options: dict, num_outputs: int) -> Decimal:
        raise Unsupported(f"{self.label} has no cost table for {operation}")

    def check_balance(self) -> Balance:
        return Balance(credits=None)

    def credits_needed(self, task: Task) -> Decimal | None:
        """What the paid call of `task` will cost, after prepare(); None: unknown. When the last balance is known and
        not enough, the engine keeps the task waiting instead of making a call the vendor refuses (Huhu 001 §10)."""
        return None

    def prepare(self, task: Task) -> None:
        """Idempotent, unpaid groundwork before the paid call (uploads, clothing items, prepared images).
        Results are kept as VendorReference rows so a retry or a later task reuses them."""

    def submit(self, task: Task) -> Submission:
        """The one paid call. The engine has recorded task.attempt_key before calling this."""
        raise Unsupported(f"{self.label} cannot run {task.operation}")

    def find_submission(self, task: Task) -> Submission | None:
        """The paid call went out and its answer was lost (a crash, a timeout, a gateway error): the record of this
        attempt, or None if none is found. With `can_reconcile` the vendor's own listing is asked, and None after
        the settle window means the call never happened; without it only what we kept ourselves can be read, and
        None means nobody knows (the engine holds the task for a person)."""
        return None

    def poll(self, task: Task) -> PollResult:
        raise Unsupported(f"{self.label} cannot report on {task.operation}")

    def poll_wait(self, task: Task) -> float:
        """Batch vendors: seconds to wait before a shared answer about `task` can be had (calls are spaced per
        account); the engine re-schedules the poll rather than sleep. 0: poll now."""
        return 0.0

    def poll_many(self, tasks: list[Task]) -> dict[int, PollResult]:
        """Status for several tasks of this account. Default: one poll per task; batch vendors override."""
        return {task.pk: self.poll(task) for task in tasks}
