"""What every end-to-end journey shares: numbered screenshots, and the services it needs."""

import contextlib
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import require_tcp
from e2e.stack import POSTGRES_ADMIN_URL, REDIS_URL, ROOT
from sending.tests.processes import wait_for

# A screenshot larger than this is re-encoded with a palette (docs stay light).
MAX_SCREENSHOT_BYTES = 400_000


class Camera:
    """Numbered full-page screenshots of finished pages."""

    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.taken: list[Path] = []

    def __call__(self, page, name: str, *, full_page: bool = True) -> Path:
        page.wait_for_load_state("load")
        # A full-page shot shows what is below the fold, so lazy images must load too.
        page.evaluate("document.querySelectorAll('img').forEach(i => { i.loading = 'eager'; })")
        # expect() polls without eval, which the Content-Security-Policy forbids.
        for image in page.locator("img").all():
            expect(image).to_have_js_property("complete", True)
        page.evaluate("document.fonts.ready.then(() => true)")
        path = self.directory / f"{len(self.taken) + 1:02d}-{name}.png"
        page.screenshot(path=path, full_page=full_page, animations="disabled", caret="hide")
        if path.stat().st_size > MAX_SCREENSHOT_BYTES:
            from PIL import Image

            with Image.open(path) as shot:
                shot.convert("RGB").quantize(256, dither=Image.Dither.NONE).save(
                    path, optimize=True
                )
        self.taken.append(path)
        return path


@pytest.fixture
def camera(tmp_path) -> Camera:
    directory = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path / "screenshots")
    return Camera(directory if directory.is_absolute() else ROOT / directory)


@pytest.fixture(autouse=True)
def _services():
    require_tcp(POSTGRES_ADMIN_URL + "/postgres", "PostgreSQL")
    require_tcp(REDIS_URL + "/0", "Redis")


@contextlib.contextmanager
def journey(browser, stack, tmp_path):
    """Runs a journey's steps: on a failure, a screenshot of every open page and the tail
    of each process's log; in any case, the browser's pages closed and the stack stopped."""
    try:
        yield
    except BaseException:
        for n, open_page in enumerate(p for c in browser.contexts for p in c.pages):
            shot = tmp_path / f"failure-{n}.png"
            with contextlib.suppress(Exception):
                open_page.screenshot(path=shot, full_page=True)
            print(f"--- browser page {open_page.url} (screenshot {shot}) ---")
        for name in ("web", "worker", "beat", "sink"):
            print(f"--- {name} log (tail) ---\n{stack.log(name)[-3000:]}")
        raise
    finally:
        for context in browser.contexts:
            context.close()
        stack.stop()


def start_site(stack) -> None:
    """The site as production runs it: a sink for mail, gunicorn, a Celery worker and
    beat; back once /healthz says every part is ok."""
    stack.start_sink()
    stack.start_web(workers=2)
    stack.start_worker("worker")
    stack.start_beat()
    wait_for(
        lambda: stack.browser_session().get("/healthz").json()["status"] == "ok",
        timeout=60,
        interval=0.5,
        what="/healthz to report every part ok",
    )
