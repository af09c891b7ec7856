import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

REQUIRE_SERVICES = os.environ.get("STUDIO_REQUIRE_SERVICES") == "1"
ROOT = Path(settings.BASE_DIR)


# The fake vendors listen on 127.0.0.1 over plain http: the vendor SSRF guard (vendors/http.py) lets tests reach
# them, as a private deployment would list its own hosts. tests/security/test_ssrf.py empties it again.
FAKE_VENDOR_HOSTS = ["127.0.0.1"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory):
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))
    settings.STUDIO_VENDOR_ALLOW_HOSTS = list(FAKE_VENDOR_HOSTS)


@pytest.fixture(autouse=True)
def _huhu_waits_take_no_real_time(monkeypatch):
    """Tests step the engine faster than real time, so the Huhu adapter's waits for Huhu's 5 s pace (and its
    backoffs) would only make them slow: they return at once here. The pace itself is proved on a virtual clock
    (tests/vendors/huhu/test_pace.py), where the fake records every repeat within 5 s."""
    from generations.vendors.huhu import catalog as huhu_catalog

    monkeypatch.setattr(huhu_catalog, "pause", lambda seconds: None)


def service_missing(reason: str):
    """Skip locally, fail in CI (STUDIO_REQUIRE_SERVICES=1): a test that needs a service never passes silently."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


def _database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


class WorkerProcess:
    """A real `celery worker` OS process against the test database and a broker of its own."""

    def __init__(self, broker_url: str, env_extra: dict, tmp_path: Path):
        self.broker_url = broker_url
        self.env_extra = env_extra
        self.tmp_path = tmp_path
        self.procs: list[subprocess.Popen] = []

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        env.update(
            DATABASE_URL=_database_url(),
            CELERY_BROKER_URL=self.broker_url,
            MEDIA_ROOT=settings.MEDIA_ROOT,
            STUDIO_VAR_DIR=str(settings.VAR_DIR),
            DJANGO_SETTINGS_MODULE="studio.settings",
            STUDIO_VENDOR_ALLOW_HOSTS=",".join(FAKE_VENDOR_HOSTS),
            **self.env_extra,
        )
        return env

    def start(self, *, concurrency: int = 1, queues: str = "vendor,media", name: str | None = None,
              extra_args: list[str] | None = None) -> subprocess.Popen:
        name = name or f"w{len(self.procs)}-{uuid.uuid4().hex[:6]}"
        log = open(self.tmp_path / f"{name}.log", "wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "studio", "worker", "-Q", queues, "-c", str(concurrency),
             "-n", f"{name}@%h", "-l", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
             *(extra_args or [])],
            cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        proc.log_path = self.tmp_path / f"{name}.log"
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen, sig=signal.SIGKILL) -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=30)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    def logs(self) -> str:
        return "\n".join(p.log_path.read_text(errors="replace")[-4000:] for p in self.procs)


def _redis_up(url: str) -> bool:
    import redis

    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        return False


@pytest.fixture
def broker_url(tmp_path, settings):
    """The broker the worker and this test publish to: Redis when CELERY_BROKER_URL says so, else a fresh
    filesystem broker folder for this test only."""
    configured = os.environ.get("CELERY_BROKER_URL", "")
    if configured.startswith(("amqp", "pyamqp")):
        from kombu import Connection

        try:
            with Connection(configured, connect_timeout=2) as conn:
                conn.ensure_connection(max_retries=1)
                channel = conn.channel()
                for queue in ("vendor", "media", "celery"):  # what an earlier test left behind is not ours
                    try:
                        channel.queue_purge(queue)
                    except Exception:  # noqa: BLE001 - a queue that does not exist yet has nothing to purge
                        channel = conn.channel()
        except Exception as exc:  # noqa: BLE001 - any connection failure means the service is missing
            service_missing(f"RabbitMQ at {configured} ({type(exc).__name__})")
        return configured
    if configured.startswith("redis"):
        if not _redis_up(configured):
            service_missing(f"Redis at {configured}")
        import redis

        redis.Redis.from_url(configured).flushdb()
        return configured
    if REQUIRE_SERVICES:
        pytest.fail("CI must run the worker tests against Redis or RabbitMQ (CELERY_BROKER_URL)")
    return "filesystem://"


@pytest.fixture
def celery_app_for_worker(broker_url, tmp_path):
    """Point this process's Celery app at the same broker as the worker processes."""
    from studio.celery import app

    conf = {"broker_url": broker_url, "task_always_eager": False}
    if broker_url.startswith("filesystem"):
        folder = tmp_path / "broker"
        (folder / "out").mkdir(parents=True)
        (folder / "processed").mkdir()
        (folder / "control").mkdir()
        conf["broker_transport_options"] = {
            "data_folder_in": str(folder / "out"), "data_folder_out": str(folder / "out"),
            "processed_folder": str(folder / "processed"), "control_folder": str(folder / "control"),
            "store_processed": False, "polling_interval": 0.1,
        }
    old = {key: app.conf.get(key) for key in ("broker_url", "task_always_eager", "broker_transport_options")}
    _reset_connections(app)
    app.conf.update(conf)
    yield app, conf
    _reset_connections(app)
    app.conf.update(old)


def _reset_connections(app):
    """Drop cached broker connections so the next publish uses the broker configured now."""
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    # kombu keeps process-wide pools keyed by broker URL: with the same Redis URL in two tests the next publish
    # would get the pool closed above ("Acquire on closed pool"). Clear the registry too.
    from kombu import pools

    pools.reset()


@pytest.fixture
def worker(celery_app_for_worker, tmp_path, transactional_db):
    """Start real worker processes with `worker.start()`; they are stopped (and logs shown on failure) after."""
    app, conf = celery_app_for_worker
    extra = {}
    if "broker_transport_options" in conf:
        opts = conf["broker_transport_options"]
        extra["STUDIO_BROKER_DIR"] = opts["data_folder_in"].rsplit("/out", 1)[0]
    pool = WorkerProcess(conf["broker_url"], extra, tmp_path)
    yield pool
    pool.stop_all()
    print(pool.logs())


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.2, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


# --- Browser tests ----------------------------------------------------------------------------------------------
# One Playwright instance and one Debian Chromium per session, shared by every browser test: Playwright's sync API
# runs an event loop in this thread, so a second sync_playwright() while the first is alive fails.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium():
    # The sync API's event loop lives in this thread; the tests still talk to the database directly.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    if not CHROMIUM.exists():
        if REQUIRE_SERVICES:
            pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is missing (CI installs it; set STUDIO_REQUIRE_SERVICES=1 to fail instead)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)  # two shared cores: give htmx answers time under load

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


