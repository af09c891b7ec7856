"""Start the whole embedded studio: the web server, a Celery worker for both queues, and the scheduler.

Used by `make run`. Ctrl-C (SIGINT) or SIGTERM stops all three; if one of them dies, the others are stopped too,
so a half-running studio never hides a crash.
"""
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and the Celery scheduler together (development)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--concurrency", type=int, default=2)

    def handle(self, *args, host, port, concurrency, **options):
        python = sys.executable
        celery = [python, "-m", "celery", "-A", "studio"]
        processes = {
            "web": [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
            "worker": celery + ["worker", "-Q", "vendor,media", "-c", str(concurrency), "-l", "INFO",
                                "-n", f"studio-{os.getpid()}@%h"],
            "scheduler": celery + ["beat", "-l", "INFO", "-s", settings.CELERY_BEAT_SCHEDULE_FILENAME],
        }
        self.stdout.write(f"Fashion Studio on http://{host}:{port}/  (database: {settings.DATABASES['default']['ENGINE']},"
                          f" broker: {settings.CELERY_BROKER_URL.split('://')[0]})")
        running = {name: subprocess.Popen(cmd, cwd=settings.BASE_DIR, start_new_session=True)
                   for name, cmd in processes.items()}

        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, proc in running.items():
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} exited with {proc.returncode}; stopping the studio")
                        stopping = True
                time.sleep(0.5)
        finally:
            for proc in running.values():
                if proc.poll() is None:
                    proc.terminate()  # the main process only: Celery's warm shutdown stops its own pool children
            deadline = time.monotonic() + 10
            for proc in running.values():
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
            self.stdout.write("Studio stopped.")
