"""The hub's error messages follow ``docs/glossary.md`` (issue 14): the words
of the glossary's "not" columns (会话 for 会议, …) appear in no message of the
error tree or the reason catalogue, as ``web/test/glossary.test.ts`` checks for
the pages' string tables."""

from __future__ import annotations

from pathlib import Path

from core import errors, reasons

GLOSSARY = Path(__file__).resolve().parent.parent / "docs" / "glossary.md"


def glossary() -> list[dict[str, list[str]]]:
    """The table's rows: 中文 | English | not (中文) | not (English) | what it is."""
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| ") or line.startswith("| 中文"):
            continue
        cells = [c.strip() for c in line.split("|")[1:-1]]
        split = lambda cell: [w.strip() for w in cell.split(",") if w.strip()]  # noqa: E731
        rows.append({"zh": [cells[0]], "en": [cells[1]], "not_zh": split(cells[2]), "not_en": split(cells[3])})
    return rows


def _subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]


def messages() -> list[tuple[str, str, str]]:
    """(where, language, text) of every worded message of the error tree and the catalogue."""
    out = []
    for cls in (errors.HubError, *_subclasses(errors.HubError)):
        for lang, text in cls.messages.items():
            out.append((cls.__name__, lang, text))
    for key, words in reasons.REASONS.items():
        out += [(key, lang, text) for lang, text in words.items()]
    for name, values in reasons.TERMS.items():
        for value, words in values.items():
            out += [(f"{name}={value}", lang, text) for lang, text in words.items()]
    return out


def test_the_glossary_is_read() -> None:
    rows = glossary()
    assert len(rows) > 10
    assert any(r["zh"] == ["会议"] and "会话" in r["not_zh"] for r in rows)


def test_error_messages_use_the_glossarys_words() -> None:
    rows = glossary()
    found = messages()
    assert len(found) > 200  # the walk found the catalogue
    off = [
        f"{where} ({lang}): {word}"
        for where, lang, text in found
        for row in rows
        for word in (row["not_zh"] if lang == "zh-CN" else row["not_en"])
        if word.lower() in text.lower()
    ]
    assert off == []
