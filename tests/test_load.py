"""The loader keeps lines, refuses duplicates and unsafe YAML, and keeps the author's text."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

import rivals.load
from rivals.load import (
    PARALLEL_PARSE,
    ParseAhead,
    _parse_each,
    load_catalog,
    parse_many,
)
from rivals.yamldoc import YamlError, _TextLoader, parse_document


def parse(text: str | bytes):
    data = text.encode() if isinstance(text, str) else text
    return parse_document("f.yaml", data)


def test_plain_scalars_stay_the_authors_text() -> None:
    doc, problems = parse("license: NO\nname: 1.10\nok: yes\nwhen: 2023-04-17\nnone: ~\n")
    assert problems == []
    assert doc.data == {
        "license": "NO",
        "name": "1.10",
        "ok": "yes",
        "when": "2023-04-17",
        "none": None,
    }


def test_every_key_and_item_has_its_line() -> None:
    doc, _ = parse("a: 1\nlist:\n  - x\n  - k: v\n    j: w\n")
    assert doc.lines[("a",)] == 1
    assert doc.lines[("list", 0)] == 3
    assert doc.lines[("list", 1)] == 4
    assert doc.lines[("list", 1, "j")] == 5
    assert doc.line_of(("list", 1, "missing")) == 4


def test_duplicate_keys_are_reported_and_the_first_value_kept() -> None:
    doc, problems = parse("a: 1\nb: 2\na: 3\n")
    assert doc.data == {"a": "1", "b": "2"}
    assert [str(p) for p in problems] == ["f.yaml:3: a: duplicate key 'a' (first at line 1)"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "a: !!python/object/apply:os.system [ls]\n",
            "tag !!python/object/apply:os.system is not allowed",
        ),
        ("a: !!binary aGVsbG8=\n", "tag !!binary is not allowed"),
        ("a: !custom x\n", "tag !custom is not allowed"),
    ],
)
def test_unsafe_tags_are_refused(text: str, message: str) -> None:
    _, problems = parse(text)
    assert [p.message for p in problems] == [message]


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (
            b"a: 1\nb: x\x00y\n",
            2,
            "invalid YAML: character U+0000: control characters are not allowed",
        ),
        (  # after multi-byte characters: the line is not counted from a byte offset
            "a: " + "é" * 300 + "\nb: 2\n\nc: x\x1b\n",
            4,
            "invalid YAML: character U+001B: control characters are not allowed",
        ),
        (b"a: 1\nb: \xff\n", 2, "not valid UTF-8 (byte 0xff)"),
        (  # where the unclosed list starts, and where the parser found out
            b"name: x\ncategories: [vision\nkind: model\n",
            3,
            "invalid YAML: while parsing a flow sequence that starts on line 2 did not find"
            " expected ',' or ']'",
        ),
        (
            b"x: [\n",
            1,
            "invalid YAML: while parsing a flow node did not find expected node content",
        ),
        (b"a: &a [*a]\n", 1, "recursive alias"),
        (
            b"a: 1\n---\nb: 2\n",
            2,
            "invalid YAML: expected a single document in the stream but found another document",
        ),
        (b"a: " + b"[" * 100 + b"]" * 100 + b"\n", 1, "nested too deeply"),
        (
            b"name: x\npricing:\n\tplan: free\n",
            3,
            "invalid YAML: while scanning for the next token found character that cannot start"
            " any token (a tab: YAML indents with spaces only)",
        ),
    ],
)
def test_broken_files_give_one_clear_error(data: bytes | str, line: int, message: str) -> None:
    with pytest.raises(YamlError) as caught:
        parse(data)
    assert (caught.value.line, caught.value.message) == (line, message)


@pytest.mark.parametrize(
    ("escape", "code"), [("\\a", 7), ("\\0", 0), ("\\e", 0x1B), ("\\x7f", 0x7F), ("\\N", 0x85)]
)
def test_a_control_character_written_as_an_escape_is_a_problem(escape: str, code: int) -> None:
    _, problems = parse(f'name: ok\nlinks:\n  docs: "a{escape}b"\n')
    assert [(p.line, p.field, p.message) for p in problems] == [
        (3, "links.docs", f"control character U+{code:04X} is not allowed")
    ]
    tabbed, problems = parse('name: "tab\\there, a\\nline, \\r"\n')  # what a page may hold
    assert (tabbed.data, problems) == ({"name": "tab\there, a\nline, \r"}, [])


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ('"a\\uFFFE"', 0xFFFE),
        ('"\\U0010FFFF"', 0x10FFFF),
        ("a\ufdd0b", 0xFDD0),
        ("\U0001fffe", 0x1FFFE),
    ],
)
def test_a_noncharacter_is_a_problem(text: str, code: int) -> None:
    """U+FFFE and kin are errors in an HTML page (and some in the XML sitemap): written as an
    escape or, where YAML takes them, as they are."""
    _, problems = parse(f"name: ok\nsummary: {text}\n")
    assert [(p.line, p.field, p.message) for p in problems] == [
        (2, "summary", f"noncharacter U+{code:04X} is not allowed")
    ]
    _, problems = parse("name: ok\nsummary: \ufdcf \ufdf0 \ufffd\n")  # their neighbours are fine
    assert problems == []


def test_a_merge_key_is_a_problem_that_says_so() -> None:
    doc, problems = parse("base: &b {a: 1}\nthing:\n  <<: *b\n  c: 2\n'<<': quoted\n")
    assert [(p.line, p.field, p.message) for p in problems] == [
        (3, "thing", "merge keys (<<) are not supported: write the keys out")
    ]
    assert doc.data == {"base": {"a": "1"}, "thing": {"c": "2"}, "<<": "quoted"}


@pytest.mark.parametrize("data", [b"", b"# comment only\n\n"])
def test_a_file_of_nothing_is_a_document_of_nothing(data: bytes) -> None:
    doc, problems = parse(data)  # validation says whether that file may be empty
    assert (doc.data, problems) == (None, [])


def test_an_alias_bomb_stops_quickly() -> None:
    rows = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        rows.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    with pytest.raises(YamlError) as caught:
        parse("\n".join(rows) + "\n")
    assert caught.value.message == "too many alias expansions"


def test_a_byte_order_mark_is_accepted() -> None:
    doc, _ = parse(b"\xef\xbb\xbfname: x\n")
    assert doc.data == {"name": "x"}


@pytest.mark.parametrize(
    "value",
    [
        "",
        "~",
        "null",
        "Null",
        "NULL",
        "nul",
        "None",
        "~~",
        "0",
        "yes",
        "null ",
        "NULL\n",
        "\n",
        "~\n",
        "x\n",
    ],
)
def test_the_quick_resolver_agrees_with_yaml_tables(value: str) -> None:
    """The loader decides null or text without PyYAML's regular expressions: same answers."""
    table = _TextLoader.yaml_implicit_resolvers.get(value[:1] if value else "", [])
    loader = _TextLoader("")
    try:
        for implicit in ((True, False), (False, True)):
            expected = implicit[0] and any(rx.match(value) for _, rx in table)
            found = loader.resolve(yaml.ScalarNode, value, implicit)
            assert found == ("tag:yaml.org,2002:null" if expected else "tag:yaml.org,2002:str")
    finally:
        loader.dispose()


def test_parsing_many_files_on_two_cores_gives_what_one_core_gives() -> None:
    """Many files are parsed half in a forked child; documents and problems must not differ."""
    items = [(f"m{i}.yaml", f"name: Model {i}\nlist: [a, {i}]\n".encode()) for i in range(60)]
    items[7] = ("bad.yaml", b"name: [unclosed\n")
    items[30] = ("dup.yaml", b"a: 1\na: 2\n")
    together = parse_many(items)
    one_by_one = _parse_each(items)
    assert len(together) == len(items) > PARALLEL_PARSE
    assert [(d and (d.path, d.data, d.lines), f) for d, f in together] == [
        (d and (d.path, d.data, d.lines), f) for d, f in one_by_one
    ]
    assert together[7][0] is None and together[7][1]
    assert together[30][1]


def _catalog_of(root: Path, count: int) -> Path:
    (root / "models").mkdir(parents=True)
    (root / "categories.yaml").write_text("chat:\n  name: Chat\n")
    (root / "capabilities.yaml").write_text("- id: x\n  name: X\n")
    for i in range(count):
        (root / "models" / f"m{i:02}.yaml").write_text(f"name: Model {i}\nlist: [a, {i}]\n")
    (root / "models" / "m07.yaml").write_text("name: [unclosed\n")
    return root


def _loaded(root: Path, ahead: ParseAhead | None) -> tuple[object, ...]:
    raw, problems = load_catalog(root, {}, ahead)
    docs = {k: (d.path, d.data, d.lines) for k, d in (raw.files | raw.models).items()}
    return docs, problems


@pytest.mark.parametrize("ahead_bytes", [10**9, 0])
def test_parsing_ahead_gives_what_loading_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead_bytes: int
) -> None:
    """The child parses all 32 files, or (ahead_bytes=0) about half; the rest is parsed here."""
    root = _catalog_of(tmp_path / "data", 30)
    expected = _loaded(root, None)
    monkeypatch.setattr(rivals.load, "AHEAD_BYTES", ahead_bytes)
    monkeypatch.setattr(rivals.load, "PARALLEL_PARSE", 1000)
    ahead = ParseAhead.start(root)
    assert ahead is not None
    here: list[str] = []
    parse = rivals.load._parse
    monkeypatch.setattr(
        rivals.load, "_parse", lambda shown, *a: here.append(shown) or parse(shown, *a)
    )
    assert _loaded(root, ahead) == expected
    assert len(here) == 0 if ahead_bytes else 14 <= len(here) <= 18
    assert ahead.take() == {}  # taken once; the child was waited for
    with pytest.raises(ChildProcessError):
        os.waitpid(ahead.child.pid, os.WNOHANG)


def test_a_file_changed_after_the_child_parsed_it_is_parsed_again(tmp_path: Path) -> None:
    root = _catalog_of(tmp_path / "data", 30)
    ahead = ParseAhead.start(root)
    assert ahead is not None
    parsed = ahead.take()
    (root / "models" / "m03.yaml").write_text("name: Renamed\n")
    raw, _ = load_catalog(root, dict(parsed))
    assert raw.models["m03"].data == {"name": "Renamed"}
    assert raw.models["m04"].data == {"name": "Model 4", "list": ["a", "4"]}


def test_parsing_ahead_is_skipped_when_it_would_not_pay_off(tmp_path: Path) -> None:
    small = _catalog_of(tmp_path / "small", 5)
    assert ParseAhead.start(small) is None
    big = _catalog_of(tmp_path / "big", 30)
    memo = tmp_path / "catalog.pickle"
    memo.write_bytes(b"")
    assert ParseAhead.start(big, memo) is None  # an incremental build parses what changed
    assert ParseAhead.start(tmp_path / "nowhere") is None


def test_a_child_nobody_waits_for_is_stopped(tmp_path: Path) -> None:
    ahead = ParseAhead.start(_catalog_of(tmp_path / "data", 30))
    assert ahead is not None
    ahead.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(ahead.child.pid, os.WNOHANG)
    assert ahead.take() == {}


def test_a_regular_file_with_nothing_to_read_yet_is_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kernel file such as /proc/kmsg is a regular file whose non-blocking read returns
    None (nothing yet); that was hashed, a TypeError with a traceback."""
    (tmp_path / "waiting.yaml").write_text("a: 1\n")

    class Waiting:
        def __init__(self, fd: int, mode: str) -> None:
            os.close(fd)

        def __enter__(self) -> Waiting:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def read(self, size: int = -1) -> None:
            return None

    monkeypatch.setattr(rivals.load.os, "fdopen", Waiting)
    with pytest.raises(OSError, match="it would wait for data"):
        rivals.load.read_file(tmp_path / "waiting.yaml")
