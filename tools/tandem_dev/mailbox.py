"""Reading what the SMTP sink received: the newest message to an address, and the Tandem link
in it. Tests, the demo data and the README's walk-through use it to follow emailed links
(confirm an email address, reset a password) as a person would.

    python -m tandem_dev.mailbox token var/mail ada.lovelace@tbs-sct.gc.ca confirm-email
"""

from __future__ import annotations

import email
import email.policy
import re
import sys
import time
from email.message import EmailMessage
from pathlib import Path

_TOKEN = re.compile(r"[?&]token=([A-Za-z0-9_-]+)")


def messages_to(mail_dir: Path, address: str) -> list[EmailMessage]:
    """Every message the sink received for `address`, oldest first."""
    found = []
    for path in sorted(mail_dir.glob("*.eml")) if mail_dir.exists() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        if str(message["To"]).strip().lower() == address.lower():
            found.append(message)
    return found


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    return str(part.get_content()) if part is not None else ""


def link_token(mail_dir: Path, address: str, path_part: str, *, timeout: float = 30.0, after: int = 0) -> str:
    """The token of the newest link containing `path_part` (e.g. `confirm-email`) mailed to
    `address`, waiting for it to arrive; `after` skips that many earlier such links."""
    deadline = time.monotonic() + timeout
    while True:
        tokens = [
            match.group(1)
            for message in messages_to(mail_dir, address)
            for line in text_of(message).splitlines()
            if path_part in line and (match := _TOKEN.search(line))
        ]
        if len(tokens) > after:
            return tokens[-1]
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {path_part} link mailed to {address} in {mail_dir}")
        time.sleep(0.1)


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[0] != "token":
        sys.stderr.write(__doc__ or "")
        return 2
    print(link_token(Path(argv[1]), argv[2], argv[3]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
