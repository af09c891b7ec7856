"""Production settings pass `manage.py check --deploy` and refuse to start without their secrets.

Each case runs manage.py in a fresh process, because settings are read once at import time. The secrets are made
here on the fly, as `make check-deploy` does, and never stored.
"""
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
CHECK_DEPLOY = ["check", "--deploy", "--fail-level", "WARNING"]


def production_env(tmp_path: Path, **overrides) -> dict:
    """The environment a production deploy provides; `None` in overrides removes a variable."""
    inherited = {k: v for k, v in os.environ.items()
                 if not k.startswith(("PYTEST", "STUDIO_", "DJANGO_", "DATABASE_", "CELERY_"))
                 and k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}}
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "studio.settings",
        "STUDIO_ENV": "production",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "studio.example.com",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "STUDIO_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "STUDIO_VAR_DIR": str(tmp_path / "var"),  # nothing lands in the checkout's var/
        "CACHE_URL": "redis://127.0.0.1:6379/2",  # shared by every web process (API throttling)
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def manage(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_production_settings_pass_the_deploy_checks_without_a_single_warning(tmp_path):
    result = manage(CHECK_DEPLOY, production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_does_fail_when_production_runs_with_debug_on(tmp_path):
    """Proves the check above can fail: DEBUG in production is a deploy warning, and warnings fail it."""
    result = manage(CHECK_DEPLOY, production_env(tmp_path, DEBUG="1"))
    assert result.returncode != 0
    assert "security.W018" in result.stderr


@pytest.mark.parametrize("missing", ["SECRET_KEY", "STUDIO_ENCRYPTION_KEYS"])
def test_production_refuses_to_start_without_its_secrets(tmp_path, missing):
    result = manage(["check"], production_env(tmp_path, **{missing: None}))
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {missing} must be set when STUDIO_ENV=production" in result.stderr
    assert not (tmp_path / "var" / "dev-secrets.env").exists()  # no development fallback was invented


def test_the_makefile_target_runs_the_same_check_with_the_same_environment():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\ncheck-deploy:", 1)[1].split("\n\n", 1)[0]
    assert "manage.py " + " ".join(CHECK_DEPLOY) in recipe
    names = set(re.findall(r"\b([A-Z_]+)=", recipe))
    assert names == {"STUDIO_ENV", "DEBUG", "ALLOWED_HOSTS", "CACHE_URL", "SECRET_KEY", "STUDIO_ENCRYPTION_KEYS"}
    assert "STUDIO_ENV=production" in recipe and "DEBUG=0" in recipe


def test_a_cache_local_to_each_process_is_a_deploy_warning(tmp_path):
    """API throttling counts in the cache: with one per process, four gunicorn workers allow four times the limit."""
    result = manage(CHECK_DEPLOY, production_env(tmp_path, CACHE_URL=None))
    assert result.returncode != 0
    assert "studio.W001" in result.stderr and "CACHE_URL" in result.stderr
