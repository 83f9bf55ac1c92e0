"""Reading articles: titles, page residue, metadata and clear errors for bad input."""

from __future__ import annotations

import json
from datetime import date

import pytest

from kgservice.articles import parse_date, read_file, split_title, strip_residue
from kgservice.errors import InputError


def test_title_line_is_split_from_body():
    title, body = split_title("A short headline\n\nThe body starts here. It goes on.")
    assert title == "A short headline"
    assert body == "The body starts here. It goes on."


def test_sentence_first_line_is_not_a_title():
    text = "The president said on Monday that talks would resume.\nMore text follows."
    assert split_title(text) == (None, text)


def test_trailing_residue_is_dropped_by_rule():
    body = "First paragraph ends here.\n\nLast paragraph ends here.\n\nRelated Content\nShare this"
    assert strip_residue(body) == "First paragraph ends here.\n\nLast paragraph ends here."


def test_seed_metadata_from_sidecar(seeds):
    article = read_file(seeds / "000_ff2e2aa8e7c5ec47.txt")[0]
    assert article.title.startswith("Second Trump-Kim Jong Un meeting")
    assert article.published == date(2018, 9, 11)
    assert not article.text.startswith("Second Trump-Kim")
    assert not article.text.rstrip().endswith("Related Content")


def test_json_with_title_keeps_text_verbatim(tmp_path):
    path = tmp_path / "a.json"
    text = "Line one\n\nLine two.\n\nRelated Content"
    path.write_text(json.dumps({"text": text, "title": "T", "published": "2020-01-02"}))
    article = read_file(path)[0]
    assert article.text == text
    assert article.published == date(2020, 1, 2)


def test_jsonl_gives_one_article_per_line(tmp_path):
    path = tmp_path / "batch.jsonl"
    path.write_text('{"text": "One happened."}\n\n{"text": "Two happened.", "id": "two"}\n')
    articles = read_file(path)
    assert [a.text for a in articles] == ["One happened.", "Two happened."]
    assert articles[1].id == "two"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"  \n\n ", "empty file"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("latin1.txt", "Caf\u00e9 au lait.".encode("latin-1"), "not valid UTF-8"),
        ("bad.json", b'{"text": "x",', "malformed JSON"),
        ("notext.json", b'{"title": "x"}', '"text"'),
        ("list.json", b"[1, 2]", "JSON object"),
    ],
)
def test_bad_input_raises_clear_error(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=reason):
        read_file(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_file(tmp_path / "nope.txt")


def test_dates():
    assert parse_date("2018-09-11") == date(2018, 9, 11)
    assert parse_date("11 September 2018") == date(2018, 9, 11)
    with pytest.raises(InputError, match="cannot read"):
        parse_date("next blursday")
