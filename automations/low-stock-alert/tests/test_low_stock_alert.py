from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from main import LowStockError, main
from openpyxl import Workbook
from shopkit import ShopkitError

SAMPLE = Path(__file__).resolve().parent.parent / "sample" / "inventory.xlsx"


class Webhook:
    """A real HTTP server on loopback that records what is POSTed to it."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str, dict[str, Any]]] = []
        self.status = 200
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append((self.path, self.headers["Content-Type"], json.loads(body)))
                self.send_response(hook.status)
                self.end_headers()
                self.wfile.write(b"ok" if hook.status == 200 else b"invalid_token")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/T000/B000/s3cr3t"


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[Webhook]:
    hook = Webhook()
    thread = threading.Thread(target=hook.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setenv("WEBHOOK_URL", hook.url)
    try:
        yield hook
    finally:
        hook.server.shutdown()
        hook.server.server_close()
        thread.join()


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOKIT_OUTPUT_DIR", str(tmp_path / "output"))
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.delenv("WEBHOOK_URL", raising=False)


def workbook(path: Path, title: str, rows: list[list[Any]]) -> Path:
    book = Workbook()
    book.active.title = title
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_posts_the_items_below_reorder_level_most_urgent_first(webhook: Webhook) -> None:
    before = SAMPLE.read_bytes()

    result = main(inventory=str(SAMPLE))

    assert result["posted"] is True
    assert result["low_items"] == ["SEED-BASIL", "MUG-RED", "CAN-5L"]
    [(path, content_type, message)] = webhook.received
    assert path == "/services/T000/B000/s3cr3t"
    assert content_type == "application/json; charset=utf-8"
    assert message["text"] == (
        "Low stock: 3 items below reorder level (SEED-BASIL, MUG-RED, CAN-5L)"
    )
    assert message["blocks"][0]["text"]["text"] == "Low stock: 3 items below reorder level"
    lines = message["blocks"][1]["text"]["text"].splitlines()
    assert lines == [
        "• `SEED-BASIL` Basil seeds: *out of stock*, reorder at 10 (supplier: Saatgut Meyer)",
        "• `MUG-RED` Stoneware mug, red: 3 left, reorder at 5 (supplier: Keramik Lang)",
        "• `CAN-5L` Watering can, 5 l: 2 left, reorder at 3 (supplier: GrünWerk)",
    ]
    assert SAMPLE.read_bytes() == before


def test_nothing_is_posted_when_nothing_is_low(tmp_path: Path, webhook: Webhook) -> None:
    path = workbook(
        tmp_path / "inventory.xlsx",
        "Inventory",
        [["SKU", "Stock", "Reorder level"], ["A-1", 5, 5], ["A-2", 9, 2]],
    )

    result = main(inventory=str(path))

    assert result == {"low_items": [], "posted": False, "message": None}
    assert webhook.received == []


def test_chat_markup_in_names_is_escaped(tmp_path: Path, webhook: Webhook) -> None:
    path = workbook(
        tmp_path / "inventory.xlsx",
        "Inventory",
        [["SKU", "Name", "Stock", "Reorder level"], ["X-1", "Salt & <!channel> pepper", 0, 1]],
    )

    main(inventory=str(path))

    text = webhook.received[0][2]["blocks"][1]["text"]["text"]
    assert "Salt &amp; &lt;!channel&gt; pepper" in text and "<!channel>" not in text


def test_each_daily_run_posts_the_current_state_once(webhook: Webhook) -> None:
    main(inventory=str(SAMPLE))
    main(inventory=str(SAMPLE))

    assert len(webhook.received) == 2
    assert webhook.received[0][2] == webhook.received[1][2]


def test_dry_run_shows_and_saves_the_message_without_posting(
    tmp_path: Path, webhook: Webhook, capsys: pytest.CaptureFixture[str]
) -> None:
    result = main(inventory=str(SAMPLE), dry_run=True)

    assert webhook.received == []
    saved = json.loads(Path(result["message"]).read_text(encoding="utf-8"))
    printed = capsys.readouterr()
    assert printed.out == ""  # stdout is the run's result alone (autokit prints it)
    assert json.loads(printed.err) == saved
    assert saved["text"].startswith("Low stock: 3 items")
    assert result["posted"] is False


def test_dry_run_needs_no_webhook_secret() -> None:
    assert main(inventory=str(SAMPLE), dry_run=True)["low_items"] == [
        "SEED-BASIL",
        "MUG-RED",
        "CAN-5L",
    ]


def test_webhook_error_is_reported_without_the_secret_url(webhook: Webhook) -> None:
    webhook.status = 403

    with pytest.raises(LowStockError, match=r"answered 403 Forbidden: invalid_token") as error:
        main(inventory=str(SAMPLE))

    assert "s3cr3t" not in str(error.value)


def test_unreachable_webhook_is_a_clear_error_without_the_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("WEBHOOK_URL", f"http://127.0.0.1:{port}/hooks/s3cr3t")

    with pytest.raises(
        LowStockError,
        match=rf"cannot reach the webhook at "
        rf"http://127.0.0.1:{port} .*nothing was posted",
    ) as error:
        main(inventory=str(SAMPLE))

    assert "s3cr3t" not in str(error.value)


@pytest.mark.parametrize(
    ("url", "message"),
    [("", r"the secret WEBHOOK_URL is not set"), ("hooks.example/x", r"not an http\(s\) URL")],
    ids=["missing", "not-a-url"],
)
def test_missing_or_malformed_secret_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, url: str, message: str
) -> None:
    monkeypatch.setenv("WEBHOOK_URL", url)

    with pytest.raises(LowStockError, match=message):
        main(inventory=str(SAMPLE))


@pytest.mark.parametrize(
    ("title", "rows", "message"),
    [
        (
            "Sheet1",
            [["SKU", "Stock", "Reorder level"]],
            r"inventory.xlsx has no sheet 'Inventory' \(it has: Sheet1\)",
        ),
        (
            "Inventory",
            [["SKU", "Stock"], ["A-1", 1]],
            r"inventory.xlsx, sheet 'Inventory', row 1: missing column\(s\) reorder level",
        ),
        (
            "Inventory",
            [["SKU", "Stock", "Reorder level"], ["A-1", 1, 2], ["A-2", "n/a", 2]],
            r"inventory.xlsx, sheet 'Inventory', row 3: stock 'n/a' is not a number",
        ),
        ("Inventory", [], r"inventory.xlsx, sheet 'Inventory' is empty"),
    ],
    ids=["wrong-sheet", "missing-column", "bad-stock", "empty-sheet"],
)
def test_bad_workbook_is_named_nothing_posted_and_left_untouched(
    tmp_path: Path, webhook: Webhook, title: str, rows: list[list[Any]], message: str
) -> None:
    path = workbook(tmp_path / "inventory.xlsx", title, rows)
    before = path.read_bytes()

    with pytest.raises(ShopkitError, match=message):
        main(inventory=str(path))

    assert webhook.received == []
    assert path.read_bytes() == before
