"""A real SMTP server for end-to-end runs: keeps every message as an .eml file.

python -m e2e.smtp_sink --port 2525 --dir /tmp/sink            # healthy
python -m e2e.smtp_sink --port 2525 --dir /tmp/sink --hang     # accepts, never answers
python -m e2e.smtp_sink --port 2525 --dir /tmp/sink --delay 0.02  # a relay 20 ms away
"""

import argparse
import asyncio
import signal
import socket
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller


class KeepEveryMessage:
    def __init__(self, directory: Path, delay: float = 0.0):
        self.directory = directory
        # Seconds before each reply to MAIL, RCPT and the end of DATA: a distant relay.
        self.delay = delay

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        await asyncio.sleep(self.delay)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await asyncio.sleep(self.delay)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        # Rassylka sends one message per recipient, so one file is one delivered copy.
        name = f"{uuid.uuid4().hex}.eml"
        # Written aside, then renamed: readers glob *.eml, and pathlib's glob matches dot
        # files too, so the half-written file must not end in .eml.
        tmp = self.directory / f".{name}.part"
        tmp.write_bytes(envelope.original_content or envelope.content)
        tmp.rename(self.directory / name)
        return "250 2.0.0 Ok: queued"


def serve_hanging(port: int) -> None:
    """Accept connections and say nothing, like a server stuck behind a dead firewall."""
    listener = socket.create_server(("127.0.0.1", port), backlog=512)
    held = []
    while True:
        connection, _ = listener.accept()
        held.append(connection)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--hang", action="store_true")
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(SystemExit(0)))
    if args.hang:
        serve_hanging(args.port)
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    controller = Controller(
        KeepEveryMessage(args.dir, args.delay),
        hostname="127.0.0.1",
        port=args.port,
        data_size_limit=10**7,
    )
    controller.start()
    print(f"sink listening on 127.0.0.1:{args.port}", flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
