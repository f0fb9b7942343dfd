import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from sending.heartbeat import beat


class Command(BaseCommand):
    help = "The embedded scheduler loop: beats its heartbeat and runs due mailings."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between passes.")

    def handle(self, *args, interval: float, **options):
        self.stopping = False
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        self.stdout.write("Scheduler started.")
        while not self.stopping:
            close_old_connections()
            beat("run_scheduler")
            self.sleep(interval)
        self.stdout.write("Scheduler stopped.")

    def stop(self, *args) -> None:
        self.stopping = True

    def sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(0.1)
