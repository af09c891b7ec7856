"""kombu's filesystem transport with atomic writes, for the embedded studio (`make run`).

kombu writes a message file in place (open, lock, write) while the consumer lists the folder, moves the file and
reads it without taking the lock: a consumer that comes by between the open and the write reads an empty file and
the worker stops on a JSON error ("Unrecoverable error: JSONDecodeError", seen with two workers under load). Here
the message is written under a name the consumer skips (it only takes "<…>.<queue>.msg") and renamed into place,
which is atomic within a folder (POSIX rename(2)), so a consumer sees a whole message or none.
"""
from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = f"{final}.part"
        try:
            with open(partial, "wb") as fh:
                fh.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
