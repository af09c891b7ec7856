"""The embedded studio's broker (kombu's filesystem transport) writes every message atomically: a consumer that
lists the folder while a message is being written skips it instead of reading half a file and stopping."""
import json
from queue import Empty

import pytest
from kombu import Connection


@pytest.fixture
def channel(tmp_path):
    options = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path), "store_processed": False,
               "control_folder": str(tmp_path / "control")}
    with Connection("filesystem://", transport="studio.broker:Transport", transport_options=options) as conn:
        yield conn.default_channel


def test_a_message_appears_whole_under_its_queue_name(channel, tmp_path):
    channel._put("vendor", {"body": "advance 7"})

    files = [p.name for p in tmp_path.iterdir() if p.is_file()]
    assert len(files) == 1 and files[0].endswith(".vendor.msg")
    assert json.loads((tmp_path / files[0]).read_text()) == {"body": "advance 7"}
    assert channel._get("vendor") == {"body": "advance 7"}


def test_a_message_still_being_written_is_skipped_not_read_half(channel, tmp_path):
    (tmp_path / "1_abc.vendor.msg.part").write_bytes(b'{"body": "adv')  # a writer in the middle of its write

    with pytest.raises(Empty):
        channel._get("vendor")  # kombu's own writer would have left this as 1_abc.vendor.msg: a JSON error

    channel._put("vendor", {"body": "next"})
    assert channel._get("vendor") == {"body": "next"}
