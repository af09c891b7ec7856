"""RELIABILITY.md, workers and broker: the broker losing every queued message, and a SIGTERM during a deploy.

The database is the source of truth: a job message is only "advance task N", so losing all of them loses nothing
the sweeper cannot re-queue, and a worker told to stop finishes (or hands back) what it holds without paying twice.
"""
import os
import shutil
import signal
from pathlib import Path

import pytest
import redis

from generations.models import Task, TaskOutput
from tests.conftest import wait_for
from tests.generations.test_engine_worker import all_in_review, launch, studio, submissions_per_task  # noqa: F401

pytestmark = [pytest.mark.services, pytest.mark.chaos]


def drop_every_queued_message(worker) -> None:
    """What a Redis restart without persistence does to the queue (RELIABILITY.md: "Redis restarted without
    persistence while jobs wait"); for the filesystem broker, the same: its message files are gone."""
    from studio.celery import app

    if worker.broker_url.startswith("redis"):
        redis.Redis.from_url(worker.broker_url).flushdb()
    elif worker.broker_url.startswith(("amqp", "pyamqp")):  # RabbitMQ: every queue emptied
        from kombu import Connection

        with Connection(worker.broker_url) as conn:
            channel = conn.channel()
            for queue in ("vendor", "media", "celery"):
                try:
                    channel.queue_purge(queue)
                except Exception:  # noqa: BLE001 - a queue never declared holds nothing; its error closes the channel
                    channel = conn.channel()
    else:
        folder = Path(app.conf.broker_transport_options["data_folder_in"])
        shutil.rmtree(folder)
        folder.mkdir()


def test_every_job_finishes_after_the_broker_lost_all_queued_messages(studio):  # noqa: F811
    worker, account = studio
    tasks = launch(account, 20)  # queued while no worker runs
    drop_every_queued_message(worker)
    worker.start(concurrency=2)

    wait_for(all_in_review(tasks, sweep=True), timeout=300, interval=1,
             message="all 20 tasks to finish from the database alone, via the sweeper")
    assert submissions_per_task(account) == {t.pk: 1 for t in tasks}
    assert TaskOutput.objects.filter(task__in=tasks).count() == 20


def test_a_sigterm_during_a_deploy_finishes_the_step_and_a_new_worker_carries_on_without_paying_twice(
        studio, tmp_path):  # noqa: F811
    worker, account = studio
    release = tmp_path / "release"
    worker.env_extra.update(STUDIO_TEST_PAUSE_BEFORE_SUBMIT=str(release), STUDIO_LEASE_SECONDS="4")
    old = worker.start(concurrency=1)
    tasks = launch(account, 2)
    wait_for(lambda: any(tmp_path.glob("release.reached.*")), timeout=120, message="a worker inside the paid step")

    os.kill(old.pid, signal.SIGTERM)  # a deploy: the main process is asked to stop (warm shutdown)
    release.touch()  # the step in hand runs to its end
    old.wait(timeout=120)
    worker.env_extra.pop("STUDIO_TEST_PAUSE_BEFORE_SUBMIT")
    worker.start(concurrency=1)  # the new release's worker

    wait_for(all_in_review(tasks, sweep=True), timeout=240, message="both tasks to finish after the deploy")
    assert submissions_per_task(account) == {t.pk: 1 for t in tasks}
    assert not Task.objects.filter(pk__in=[t.pk for t in tasks], needs_attention=True).exists()
