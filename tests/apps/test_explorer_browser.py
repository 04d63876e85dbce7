"""The explorer end to end in a real browser: Debian's chromium driven by Playwright.

The app runs with `streamlit run` on 127.0.0.1 and a free port, on a warehouse of the test's own.
Each page is opened, its title and a figure computed by hand in explorer_warehouse.py are checked,
and a screenshot is saved under tests/artifacts/screenshots/ (git-ignored). Data grid cells are
drawn on a canvas, so checks read metrics, headings and captions; AppTest checks the cells.

Two tests write the warehouse while the app serves it: one publishes new versions in a loop (the
swap a build ends with), one runs a real `finseg build` (dbt) beside it.

Needs Playwright's Python package and /usr/bin/chromium; Playwright's own browser download is
never used. Without either, the tests skip and say which is missing.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from explorer_warehouse import build_warehouse

from apps.publish import staged_warehouse

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # the skip below says how to install it
    sync_playwright = None

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "apps" / "explorer" / "app.py"
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Milliseconds a page may take to show an expected element (the first run imports pandas,
# Plotly and DuckDB in the server).
WAIT_MS = 30_000
STARTUP_SECONDS = 60
VIEWPORT = {"width": 1400, "height": 1000}
# Seconds the build beside the app may take (about 30 s for 300 customers on 2 cores).
BUILD_SECONDS = 600

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        sync_playwright is None,
        reason="Playwright's Python package is missing: .venv/bin/pip install playwright "
        "(never `playwright install`: the tests drive Debian's chromium)",
    ),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"{CHROMIUM} is missing: apt-get install -y chromium (make test does it as root)",
    ),
]

# URL path, title, screenshot name, figures shown as metrics (computed in explorer_warehouse.py).
PAGES = [
    ("", "Overview", "overview", ["8", "17.3k"]),
    ("segments", "Segments", "segments", ["4,200.00", "50.0%"]),
    ("models", "Model comparison", "models", ["0.412", "0.82"]),
    ("rfm", "RFM", "rfm", ["55 days", "8.0"]),
    ("clv", "CLV", "clv", ["50.0%", "12.77"]),
    ("customer?customer_id=c01", "Customer lookup", "customer", ["12,500.00", "90.0%"]),
    ("sql", "SQL", "sql", []),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve(warehouse: Path, log: Path) -> Iterator[str]:
    """`streamlit run` the explorer on ``warehouse``; yields its URL, stops the server after."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "FINSEG_WAREHOUSE": str(warehouse)}
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]
    with open(log, "w", encoding="utf-8") as output:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
        try:
            _wait_until_healthy(url, server, log)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_until_healthy(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read().decode().strip() == "ok":
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"streamlit did not answer within {STARTUP_SECONDS} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The explorer serving the hand-made warehouse for the whole module."""
    folder = tmp_path_factory.mktemp("browser")
    warehouse = build_warehouse(folder / "finseg.duckdb")
    with serve(warehouse, folder / "streamlit.log") as url:
        yield url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh tab (a fresh Streamlit session) for each test."""
    tab = browser.new_page(viewport=VIEWPORT)
    yield tab
    tab.close()


def _metric(page: Page, value: str) -> None:
    """Wait until a metric shows exactly ``value``."""
    expect(page.get_by_test_id("stMetricValue").get_by_text(value, exact=True).first).to_be_visible(
        timeout=WAIT_MS
    )


def _no_exception(page: Page) -> None:
    assert page.get_by_test_id("stException").count() == 0, page.get_by_test_id(
        "stException"
    ).all_inner_texts()


def _settle(page: Page) -> None:
    """Wait until the script run is over (no element left over from the previous run) and every
    element is drawn (no skeleton left where a chart or a grid loads its code)."""
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=WAIT_MS)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=WAIT_MS)


def _screenshot(page: Page, name: str) -> Path:
    """Save the page as tests/artifacts/screenshots/<name>.png once every chart is drawn.

    Streamlit scrolls inside its main container and draws a chart only when it comes into
    view, so the tab is made tall enough to hold the whole page first."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('section, div')].map(e => e.scrollHeight))"
    )
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(max(height, 1000), 6000)})
    _settle(page)
    undrawn = page.locator('[data-testid="stPlotlyChart"]:not(:has(.main-svg))')
    expect(undrawn).to_have_count(0, timeout=WAIT_MS)
    page.wait_for_timeout(300)  # let Plotly finish its transitions
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(VIEWPORT)
    return path


def _open(page: Page, url: str, title: str) -> None:
    page.goto(url)
    expect(page.locator("h1").first).to_have_text(title, timeout=WAIT_MS)


def _nav(page: Page, title: str) -> None:
    """Switch page through the sidebar (the session, and so the filters, stay)."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=False).click()
    expect(page.locator("h1").first).to_have_text(title, timeout=WAIT_MS)


@pytest.mark.parametrize(("path", "title", "name", "figures"), PAGES, ids=[p[2] for p in PAGES])
def test_every_page_shows_its_title_and_figures(
    page: Page, app_url: str, path: str, title: str, name: str, figures: list[str]
) -> None:
    """Each page opens by its URL with its title and hand-computed figures, without error."""
    _open(page, f"{app_url}/{path}", title)
    for figure in figures:
        _metric(page, figure)
    if name == "sql":
        page.get_by_role("button", name="Run").click()
        expect(page.get_by_text("3 rows in", exact=False)).to_be_visible(timeout=WAIT_MS)
    _no_exception(page)
    assert page.get_by_test_id("stAlert").filter(has_text="Traceback").count() == 0
    assert _screenshot(page, name).stat().st_size > 10_000


def test_segment_filter_carries_across_pages(page: Page, app_url: str) -> None:
    """Picking segment 2 on the RFM page limits its figures, and Segments and CLV open on it."""
    _open(page, f"{app_url}/rfm", "RFM")
    _metric(page, "8")
    page.get_by_role("combobox", name="Customers").click()
    page.get_by_role("option", name="2 · Branch savers (3 customers)").click()
    _metric(page, "3")
    _metric(page, "500")  # net spend 400.25 + 100 + 0
    _screenshot(page, "rfm_filtered")
    _nav(page, "Segments")
    expect(page.locator("h2").first).to_have_text("2 · Branch savers", timeout=WAIT_MS)
    _nav(page, "CLV")
    _metric(page, "2")  # c05 and c06 have purchases
    _no_exception(page)


def test_customer_lookup_by_example_and_by_typing(page: Page, app_url: str) -> None:
    """An example id clicked, then an id typed: the figures follow and the URL carries the id."""
    _open(page, f"{app_url}/customer", "Customer lookup")
    page.get_by_role("button", name="c05").click()
    _metric(page, "2 · Branch savers")
    _metric(page, "400.25")
    page.get_by_label("Customer id").fill("c02")
    page.keyboard.press("Enter")
    _metric(page, "Loyal")
    _metric(page, "2,250.00")
    expect(page).to_have_url(re.compile(r"customer_id=c02"), timeout=WAIT_MS)
    _no_exception(page)


def test_sql_page_refuses_a_write_in_the_browser(page: Page, app_url: str) -> None:
    """A DROP typed into the SQL page is refused with a message; the data stays."""
    _open(page, f"{app_url}/sql", "SQL")
    page.locator("textarea").fill("drop table marts.dim_customers")
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_test_id("stAlert").first).to_contain_text(
        "DROP changes the warehouse", timeout=WAIT_MS
    )
    _screenshot(page, "sql_refused")
    _nav(page, "Overview")
    _metric(page, "8")


def test_publishing_while_the_app_serves(browser: Browser, tmp_path: Path) -> None:
    """New warehouse versions swapped in (as a build ends) while the app keeps rerunning pages:
    every publish succeeds, no page fails, and the app shows the last version."""
    warehouse = build_warehouse(tmp_path / "finseg.duckdb")
    publishes = 8
    errors: list[BaseException] = []

    def publish() -> None:
        try:
            for extra in range(1, publishes + 1):
                with staged_warehouse(warehouse, start_from_published=False) as staged:
                    build_warehouse(staged, extra_customers=extra)
                time.sleep(1.0)  # about one page switch between two publishes
        except BaseException as error:  # reported by the test below
            errors.append(error)

    with serve(warehouse, tmp_path / "streamlit.log") as url:
        page = browser.new_page(viewport=VIEWPORT)
        _open(page, url, "Overview")
        _metric(page, "8")
        writer = threading.Thread(target=publish)
        writer.start()
        reruns = 0
        while writer.is_alive():
            _nav(page, "RFM" if reruns % 2 == 0 else "Overview")
            _no_exception(page)
            reruns += 1
            page.wait_for_timeout(200)
        writer.join()
        assert not errors, errors
        log.info("%d page switches while %d versions were published", reruns, publishes)
        _nav(page, "RFM")
        _nav(page, "Overview")
        _metric(page, str(8 + publishes))
        _no_exception(page)
        page.close()
    assert reruns >= publishes // 2, "the app was hardly used while the versions were swapped"


def test_dbt_build_while_the_app_serves(browser: Browser, tmp_path: Path) -> None:
    """`finseg build` (dbt, tests, publish) runs beside the app: the build passes, the pages keep
    the last good data meanwhile, and show the new build after it."""
    env = {
        **os.environ,
        "FINSEG_WAREHOUSE": str(tmp_path / "finseg.duckdb"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }
    cli = [sys.executable, "-m", "apps.cli"]
    first = subprocess.run(
        [*cli, "run", "--customers", "300", "--months", "6", "--seed", "3"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert first.returncode == 0, first.stdout + first.stderr
    with serve(tmp_path / "finseg.duckdb", tmp_path / "streamlit.log") as url:
        page = browser.new_page(viewport=VIEWPORT)
        _open(page, url, "Overview")
        _metric(page, "300")
        k_before = page.get_by_test_id("stMetricValue").nth(4).inner_text()
        forced = "2" if k_before != "2" else "4"
        # The build's output goes to a file: a pipe nobody reads would fill up and stall dbt.
        build_log = tmp_path / "build.log"
        with open(build_log, "w", encoding="utf-8") as output_file:
            build = subprocess.Popen(
                [*cli, "build", "--var", f"force_k={forced}"],
                cwd=ROOT,
                env=env,
                stdout=output_file,
                stderr=subprocess.STDOUT,
            )
            pages_during_build = 0
            deadline = time.monotonic() + BUILD_SECONDS
            while build.poll() is None:
                if time.monotonic() > deadline:
                    build.kill()
                    pytest.fail(
                        f"finseg build took over {BUILD_SECONDS} s; its output is in {build_log}"
                    )
                _nav(page, "Model comparison" if pages_during_build % 2 == 0 else "Overview")
                _no_exception(page)
                pages_during_build += 1
                # A person clicks now and then; a tight loop would starve dbt on a small machine.
                page.wait_for_timeout(1_000)
        output = build_log.read_text(encoding="utf-8")
        assert build.returncode == 0, output[-4000:]
        log.info("%d page switches while finseg build ran", pages_during_build)
        _nav(page, "Model comparison")
        _nav(page, "Overview")
        _metric(page, "300")
        expect(page.get_by_test_id("stMetricValue").nth(4)).to_have_text(forced, timeout=WAIT_MS)
        _screenshot(page, "overview_after_build")
        page.close()
    assert pages_during_build >= 3, "the build ended before the app could be used beside it"
    assert re.search(r"published", output)
