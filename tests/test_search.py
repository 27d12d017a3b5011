from __future__ import annotations

import json

from helpers import automation_files


def search_files() -> dict[str, str]:
    files: dict[str, str] = {}
    files |= automation_files(
        "invoice-reminders",
        title="Invoice reminders",
        summary="Emails customers about unpaid invoices.",
        department="finance",
        tags=["email", "invoices"],
    )
    files |= automation_files(
        "order-emails",
        title="Parse order emails",
        summary="Turns order emails into rows of the order sheet.",
        department="sales",
        tags=["email", "orders"],
    )
    files |= automation_files(
        "stock-sheet",
        title="Update the stock sheet",
        summary="Counts what is left in the warehouse.",
        department="operations",
        tags=["spreadsheet"],
    )
    files["automations/stock-sheet/README.md"] = (
        "# Stock sheet\n\nReads the supplier's CSV export and updates the inventory workbook.\n"
    )
    return files


def ranked(cli, root, *words) -> list[tuple[str, list[str]]]:
    result = cli("search", *words, "--repo", str(root), "--format", "json")
    assert result.code == 0, result
    return [(row["name"], row["matched"]) for row in json.loads(result.out)]


def test_name_matches_rank_above_summary_matches(make_repo, cli):
    root = make_repo(search_files())
    results = ranked(cli, root, "invoice")
    assert results[0] == ("invoice-reminders", ["name", "title", "tags", "summary", "readme"])
    assert [name for name, _ in results] == ["invoice-reminders"]
    assert [name for name, _ in ranked(cli, root, "email")] == ["order-emails", "invoice-reminders"]


def test_several_words_narrow(make_repo, cli):
    root = make_repo(search_files())
    assert [n for n, _ in ranked(cli, root, "email")] == ["order-emails", "invoice-reminders"]
    assert [n for n, _ in ranked(cli, root, "email", "unpaid")] == ["invoice-reminders"]
    assert ranked(cli, root, "email unpaid warehouse") == []


def test_readme_and_department_are_searched(make_repo, cli):
    root = make_repo(search_files())
    assert ranked(cli, root, "supplier") == [("stock-sheet", ["readme"])]
    assert ranked(cli, root, "SALES") == [("order-emails", ["department"])]


def test_text_output(make_repo, cli):
    root = make_repo(search_files())
    result = cli("search", "unpaid", "--repo", str(root))
    assert result.out.splitlines() == [
        "invoice-reminders  1.0.0  Invoice reminders",
        "    Emails customers about unpaid invoices.",
        "    matched in: summary, readme",
    ]


def test_no_match_says_so(make_repo, cli):
    root = make_repo(search_files())
    result = cli("search", "payroll", "--repo", str(root))
    assert result.code == 0
    assert result.out == ""
    assert "no automation matches 'payroll'" in result.err


def test_empty_query_is_an_error(make_repo, cli):
    root = make_repo(search_files())
    result = cli("search", "  ", "--repo", str(root))
    assert result.code == 1
    assert "the search query is empty" in result.err


def test_missing_query_is_a_usage_error(make_repo, cli):
    root = make_repo(search_files())
    assert cli("search", "--repo", str(root)).code == 2
