from __future__ import annotations

import csv
from pathlib import Path

import pytest
from main import ContactsError, main
from shopkit import ShopkitError

SAMPLE = Path(__file__).resolve().parent.parent / "sample" / "contacts.csv"


@pytest.fixture(autouse=True)
def output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "output"
    monkeypatch.setenv("AUTOKIT_OUTPUT_DIR", str(folder))
    return folder


def rows(path: str | Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def write(tmp_path: Path, text: str, name: str = "contacts.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_sample_is_cleaned_and_duplicates_merged_into_the_most_complete_record() -> None:
    before = SAMPLE.read_bytes()

    result = main(contacts=str(SAMPLE), default_country="DE")

    assert SAMPLE.read_bytes() == before
    clean = {row["Email"] or row["Phone"]: row for row in rows(result["clean"])}
    assert len(clean) == 5 and result["duplicates_merged"] == 3
    jane = clean["jane.doe@example.com"]
    # Row 2 had more fields; row 3 ("JANE DOE", upper-case email) filled in the company.
    assert jane == {
        "Name": "Jane Doe",
        "Email": "jane.doe@example.com",
        "Phone": "+49301234567",
        "Company": "Doe Design",
        "City": "Berlin",
        "Newsletter": "yes",
    }
    assert clean["tom.becker@example.net"]["Phone"] == "+491712345678"
    assert clean["tom.becker@example.net"]["Company"] == "Becker Gartenbau"
    assert clean["anna.berg@example.org"]["Name"] == "Anna Berg"
    assert clean["lukas@schmidt.example"]["Phone"] == "+442079460958"


def test_merge_report_says_which_rows_merged_and_why() -> None:
    result = main(contacts=str(SAMPLE))

    report = rows(result["report"])
    merged = {r["rows"]: r for r in report if r["action"] == "merged"}
    assert merged["2, 3"]["reason"] == "same email jane.doe@example.com and same phone +49301234567"
    assert merged["4, 5"]["reason"] == "same phone +491712345678"
    assert merged["6, 7"]["kept_row"] == "6"
    assert (
        "Email: kept 'anna.berg@example.org' over 'anna@berg-family.example' (row 7)"
        in (merged["6, 7"]["details"])
    )
    [warning] = [r for r in report if r["action"] == "not normalised"]
    assert warning["rows"] == "8" and "phone '12' is not a valid number" in warning["reason"]


def test_default_country_decides_how_local_numbers_are_read(tmp_path: Path) -> None:
    path = write(tmp_path, "Name,Email,Phone\nAl,al@example.com,020 7946 0958\n")

    result = main(contacts=str(path), default_country="gb")

    assert rows(result["clean"])[0]["Phone"] == "+442079460958"


def test_duplicates_chained_through_email_and_phone_become_one(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Name,Email,Phone\n"
        "A One,a@example.com,\n"
        "A One,A@example.com,+49 30 111111\n"
        "A. One,,030 111111\n",
    )

    result = main(contacts=str(path))

    assert result["contacts_written"] == 1
    [merged] = [r for r in rows(result["report"]) if r["action"] == "merged"]
    assert merged["rows"] == "2, 3, 4"
    assert merged["reason"] == "same email a@example.com and same phone +4930111111"


def test_running_again_on_the_clean_file_changes_nothing(tmp_path: Path, output: Path) -> None:
    first = main(contacts=str(SAMPLE))
    clean = Path(first["clean"]).rename(tmp_path / "clean.csv")

    second = main(contacts=str(clean))

    assert second["duplicates_merged"] == 0
    assert Path(second["clean"]).read_bytes() == clean.read_bytes()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"contacts.csv is empty: expected a header row with name, email, phone"),
        ("Name,Email\nJo,jo@example.com\n", r"contacts.csv, row 1: missing column\(s\) phone"),
        (
            "Name,Email,Phone\nJo,jo@example.com,1,extra\n",
            r"contacts.csv, row 2: more fields than the header has columns",
        ),
    ],
    ids=["empty-file", "missing-column", "extra-field"],
)
def test_bad_file_is_a_clear_error_and_nothing_is_written(
    tmp_path: Path, output: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)

    with pytest.raises(ShopkitError, match=message):
        main(contacts=str(path))

    assert path.read_text(encoding="utf-8") == text
    assert not output.exists()


def test_unknown_default_country_is_a_clear_error() -> None:
    with pytest.raises(ContactsError, match=r"default_country 'XX' is not a known region"):
        main(contacts=str(SAMPLE), default_country="XX")


def test_a_failed_run_keeps_the_previous_output(tmp_path: Path, output: Path) -> None:
    main(contacts=str(SAMPLE))
    previous = (output / "contacts-clean.csv").read_bytes()
    broken = write(tmp_path, "Name,Email\nJo,jo@example.com\n")

    with pytest.raises(ContactsError):
        main(contacts=str(broken))

    assert (output / "contacts-clean.csv").read_bytes() == previous


def test_semicolon_export_is_read_and_written_back_with_semicolons(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "\ufeffName;Email;Phone;Company\n"
        "Jane Doe;jane.doe@example.com;030 1234567;\n"
        "JANE DOE; Jane.Doe@Example.com ;+49 30 1234567;Doe Design\n",
    )

    result = main(contacts=str(path))

    assert result["duplicates_merged"] == 1
    assert Path(result["clean"]).read_text(encoding="utf-8").splitlines() == [
        "Name;Email;Phone;Company",
        "Jane Doe;jane.doe@example.com;+49301234567;Doe Design",
    ]
    assert Path(result["report"]).read_text(encoding="utf-8").startswith("action;rows;")
