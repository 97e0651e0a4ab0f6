"""An e-mail backend that writes each message to a file of its own: what ``DEBUG`` (and so
``make demo``) sends, to read afterwards instead of on the console.

Each message becomes ``EMAIL_FILE_PATH/<UTC time>-<subject>.eml`` (default
``DATA_DIR/sent-mail``), a whole RFC 822 message that a mail program opens as it is. Django's
own file backend writes one file per connection, with every message of a batch (the outbox
sends up to 50 at once) one after the other in it; here one message is one file. The directory
is created for its owner only, as the data dir is."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils.text import slugify

from onthaal.core import clock


class EmailBackend(BaseEmailBackend):
    def __init__(self, file_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.directory = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            try:
                self._write(message)
            except OSError:
                if not self.fail_silently:
                    raise
                continue
            sent += 1
        return sent

    def _write(self, message: EmailMessage) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        stem = "{}-{}".format(
            clock.now().strftime("%Y%m%d-%H%M%S-%f"), slugify(message.subject)[:60] or "mail"
        )
        path = self.directory / f"{stem}.eml"
        # O_EXCL: two messages in the same microsecond with the same subject get two files.
        for n in range(2, 100):
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                break
            except FileExistsError:
                path = self.directory / f"{stem}-{n}.eml"
        else:
            raise FileExistsError(path)
        with os.fdopen(fd, "wb") as out:
            out.write(message.message().as_bytes())
