"""An incremental build gives exactly the tree a clean build gives, and rewrites nothing else."""

from __future__ import annotations

import marshal
import os
import pickle
import re
import shutil
import threading
from array import array
from pathlib import Path

import pytest

from conftest import REPO, tree
from rivals import forked, records, write
from rivals import load as load_module
from rivals.build import BuildError, BuildOptions, build_site, load_and_validate
from rivals.load import pack_memo, read_memo
from rivals.problems import CatalogError
from rivals.views import closeness
from rivals.write import MTIME, SEEN, CheckAhead, load_manifest, memo_path


def build(data: Path, out: Path, templates: Path = REPO / "templates", **kw) -> object:
    return build_site(BuildOptions(data=data, templates=templates, out=out, search=False, **kw))


def stamps(folder: Path) -> dict[str, int]:
    return {
        p.relative_to(folder).as_posix(): p.stat().st_mtime_ns
        for p in folder.rglob("*")
        if p.is_file()
    }


@pytest.fixture
def built(catalog: Path, tmp_path: Path) -> Path:
    """The output folder of a first build of the valid catalog."""
    out = tmp_path / "site"
    build(catalog, out)
    return out


@pytest.fixture(params=["checked ahead", "checked in place"])
def checks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the previous build's files checked by a CheckAhead child (as a build
    on two cores does) and by the writers themselves (one core, or no fork)."""
    if request.param == "checked in place":
        monkeypatch.setattr(CheckAhead, "start", classmethod(lambda cls, out: None))
    else:  # a build asks for the child's rows when it gets to them: here, all of them
        monkeypatch.setattr(forked, "hurry", os.close)
    return str(request.param)


def same_as_clean(data: Path, out: Path, tmp: Path, templates: Path = REPO / "templates") -> None:
    clean = tmp / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    build(data, clean, templates)
    assert tree(out) == tree(clean)


def edit_summary(catalog: Path, slug: str, old: str, new: str) -> None:
    path = catalog / "models" / f"{slug}.yaml"
    path.write_text(path.read_text().replace(old, new, 1))


def delete_beta_paint(catalog: Path) -> None:
    """Delete an entry of the valid catalog, and the matches that name it."""
    (catalog / "models" / "beta-paint.yaml").unlink()
    (catalog / "matches.yaml").write_text("- pair: [gamma-studio, alpha-vision]\n  count: 3\n")


def no_op_then_delete(catalog: Path, built: Path, tmp_path: Path) -> None:
    """Check that a rebuild of `built` writes nothing, and that one after deleting an entry
    gives the tree a clean build gives."""
    before = stamps(built)
    build(catalog, built)
    assert stamps(built) == before  # a no-op
    delete_beta_paint(catalog)
    build(catalog, built)
    same_as_clean(catalog, built, tmp_path)


@pytest.mark.parametrize(
    "change",
    [
        "edit",
        "add",
        "delete",
        "rename",
        "rank-shift",
        "template",
        "site-setting",
        "date",
        "category",
        "name",
        "integration",
        "source-title",
    ],
)
def test_incremental_equals_clean(change: str, catalog: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    templates = tmp_path / "templates"
    templates.mkdir()
    build(catalog, out, templates)
    before = stamps(out)
    models = catalog / "models"
    if change == "edit":
        edit_summary(catalog, "gamma-studio", "Runs offline", "Works offline")
    elif change == "add":
        shutil.copy(models / "delta-api.yaml", models / "epsilon-api.yaml")
    elif change == "delete":
        (models / "beta-paint.yaml").unlink()
        (catalog / "matches.yaml").write_text("- pair: [gamma-studio, alpha-vision]\n  count: 3\n")
    elif change == "rename":
        (models / "delta-api.yaml").rename(models / "omega-api.yaml")
    elif change == "integration":  # same count, other names: only the model page shows it
        edit_summary(catalog, "alpha-vision", "llama-cpp]", "vllm]")
    elif change == "source-title":  # shown as the URL either way; the twin says null or not
        edit_summary(catalog, "alpha-vision", "    title: Visual Instruction Tuning\n", "")
    elif change == "rank-shift":
        edit_summary(catalog, "beta-paint", "github_stars: 1200", "github_stars: 99000")
    elif change == "template":
        (templates / "model.html").write_text(
            "{% extends 'theme/model.html' %}{% block main %}<p>changed</p>{{ super() }}{% endblock %}"
        )
    elif change == "date":  # the sitemap dates each page by its entries' newest date
        edit_summary(catalog, "gamma-studio", "as_of: 2026-09-15", "as_of: 2026-11-02")
    elif change == "category":  # ...and a category page by its members' newest
        edit_summary(catalog, "alpha-vision", "categories: [vision]", "categories: [painting]")
    elif change == "name":  # shown on its rivals' model pages, which its record is not
        edit_summary(catalog, "beta-paint", 'name: "1.10"', 'name: "1.10 Pro"')
    elif change == "site-setting":
        site = catalog / "site.yaml"
        site.write_text(site.read_text().replace("capabilities_shown: 2", "capabilities_shown: 1"))
    report = build(catalog, out, templates)
    assert not list(tmp_path.glob(".site.staging-*"))  # moved in, then removed
    same_as_clean(catalog, out, tmp_path, templates)
    after = stamps(out)
    # Files whose bytes did not change keep their modification time.
    clean = tree(out)
    for path, stamp in after.items():
        if path in before and stamp != before[path]:
            assert path in clean  # rewritten files exist...
    assert report.written < len(clean)  # ...and not everything was rewritten
    if change == "edit":
        changed = {p for p in after if after[p] != before.get(p)}
        assert changed == {
            "compare/alpha-vision-vs-gamma-studio/index.html",
            "compare/beta-paint-vs-gamma-studio/index.html",
            "compare/delta-api-vs-gamma-studio/index.html",
            "models/gamma-studio/index.html",
            "api/models/gamma-studio.json",  # its capability_claims
        }
    if change in ("date", "category"):
        assert after["sitemap.xml"] != before["sitemap.xml"]
    if change == "name":
        rival = "models/alpha-vision/index.html"
        assert after[rival] != before[rival] and "1.10 Pro" in (out / rival).read_text()
    if change in ("delete", "rename"):
        gone = "beta-paint" if change == "delete" else "delta-api"
        assert not any(gone in p for p in after)


def test_a_noop_rebuild_renders_and_writes_nothing(catalog: Path, built: Path, checks: str) -> None:
    out = built
    before = stamps(out)
    report = build(catalog, out)
    assert report.rendered == 0 and report.written == 0 and report.deleted == 0
    assert stamps(out) == before


def test_a_page_changed_or_deleted_by_hand_is_rendered_again(
    catalog: Path, built: Path, tmp_path: Path, checks: str
) -> None:
    out = built
    page = out / "models" / "alpha-vision" / "index.html"
    page.write_text("tampered")
    gone = out / "api" / "compare" / "alpha-vision-vs-beta-paint.json"
    gone.unlink()
    report = build(catalog, out)
    assert report.written == 2
    assert page.read_text() != "tampered" and gone.is_file()
    same_as_clean(catalog, out, tmp_path)


def test_clean_renders_everything_again(catalog: Path, built: Path, tmp_path: Path) -> None:
    out = built
    report = build(catalog, out, clean=True)
    assert report.rendered == report.pages
    assert report.written == len(tree(out))  # --clean trusts nothing an earlier build left
    same_as_clean(catalog, out, tmp_path)


def test_a_same_size_change_by_hand_is_rendered_again(
    catalog: Path, built: Path, checks: str
) -> None:
    """Written files are checked by size and by the build's window of times."""
    out = built
    page = out / "models" / "alpha-vision" / "index.html"
    text = page.read_text()
    page.write_text(text.replace("<h1", "<h2", 1))
    later = page.stat().st_mtime_ns + 2_000_000_000  # surely after the build's window
    os.utime(page, ns=(later, later))
    report = build(catalog, out)
    assert report.written == 1 and page.read_text() == text


def test_the_manifest_keeps_a_window_for_written_files_and_times_for_kept_ones(
    catalog: Path, built: Path
) -> None:
    out = built
    first = load_manifest(out)
    low, high = first.window
    assert low <= high
    for path, row in first.files.items():
        assert row[MTIME] == 0  # all written by that build
        assert low <= (out / path).stat().st_mtime_ns <= high
    report = build(catalog, out)
    assert report.rendered == 0 and report.written == 0
    second = load_manifest(out)
    assert {p: r[MTIME] for p, r in second.files.items()} == stamps(out)


def test_a_file_touched_outside_the_window_is_checked_but_not_rewritten(
    catalog: Path, built: Path, checks: str
) -> None:
    out = built
    page = out / "compare" / "alpha-vision-vs-beta-paint" / "index.html"
    old = 1_000_000_000_000_000_000  # 2001: before the window
    os.utime(page, ns=(old, old))
    report = build(catalog, out)
    assert report.rendered >= 1 and report.written == 0  # same bytes: left as it is
    assert page.stat().st_mtime_ns == old
    assert build(catalog, out).rendered == 0  # its exact time is known now


def test_the_parsed_catalog_is_saved_only_when_a_file_was_parsed(
    catalog: Path, built: Path
) -> None:
    out = built
    memo = memo_path(out)
    first = memo.stat().st_mtime_ns
    os.utime(memo, ns=(first - 10**9, first - 10**9))
    build(catalog, out)
    assert memo.stat().st_mtime_ns == first - 10**9  # nothing parsed: not written again
    edit_summary(catalog, "alpha-vision", "An open vision", "An open, edited vision")
    build(catalog, out)
    assert memo.stat().st_mtime_ns != first - 10**9
    assert read_memo(memo)[str(catalog / "models" / "alpha-vision.yaml")][1] is not None


def test_saving_the_parsed_catalog_pickles_only_what_was_parsed(catalog: Path, built: Path) -> None:
    before = read_memo(memo_path(built))
    edited = str(catalog / "models" / "alpha-vision.yaml")
    edit_summary(catalog, "alpha-vision", "An open vision", "An open, edited vision")
    build(catalog, built)
    after = read_memo(memo_path(built))
    assert after.keys() == before.keys()
    for path, (_, blob) in after.packed.items():  # the bytes of each entry, as saved
        assert (blob == before.packed[path][1]) == (path != edited)
    document = after[edited][1]
    assert document is not None and "edited vision" in str(document.data)


def test_packing_the_parsed_catalog_reuses_the_bytes_it_read(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    memo = read_memo(memo_path(built))
    first = next(iter(memo))
    memo[first] = tuple(list(memo[first]))  # an equal entry, parsed again
    pickled: list[object] = []
    dumps = pickle.dumps
    monkeypatch.setattr(pickle, "dumps", lambda obj, *a: pickled.append(obj) or dumps(obj, *a))
    packed = pack_memo(memo)
    assert len(pickled) == 2 and pickled[0] is memo[first]  # that entry, then the whole
    monkeypatch.undo()
    memo_path(built).write_bytes(packed)
    assert read_memo(memo_path(built)) == memo


def test_the_parsed_catalog_keeps_what_validation_gave_and_is_dropped_for_other_code(
    catalog: Path, built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    memo = read_memo(memo_path(built))
    key = str(catalog / "models" / "alpha-vision.yaml")
    digest, document, found = memo[key]
    assert document is not None
    record, problems = document.validated[((), "Entry")]
    assert type(record) is records.Entry and problems == []
    # A cached record is what the catalog uses (nothing validates it again).
    changed = record._replace(name="Alpha From The Cache")
    document.validated[((), "Entry")] = (changed, [])
    memo[key] = (digest, document, found)  # a new entry: packed again
    memo_path(built).write_bytes(pack_memo(memo))
    assert load_and_validate(catalog, memo=read_memo(memo_path(built))).entries[
        "alpha-vision"
    ].name == ("Alpha From The Cache")
    # Saved by other code (or for another PyYAML or pydantic): not used at all.
    monkeypatch.setattr(load_module, "memo_version", lambda: "other code")
    assert read_memo(memo_path(built)) == {}


def test_an_edit_that_breaks_a_record_is_reported_and_its_fix_builds(
    catalog: Path, built: Path
) -> None:
    model = catalog / "models" / "alpha-vision.yaml"
    good = model.read_text()
    model.write_text(good.replace("kind: model", "kind: robot"))
    with pytest.raises(CatalogError) as caught:
        build(catalog, built)
    assert any(p.field == "kind" for p in caught.value.problems)
    model.write_text(good)
    build(catalog, built)


def test_a_check_ahead_finds_each_file_as_written_or_not(
    catalog: Path, built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(forked, "hurry", os.close)  # let the child check every file
    out = built
    (out / "models" / "alpha-vision" / "index.html").write_text("tampered")
    (out / "api" / "compare" / "alpha-vision-vs-beta-paint.json").unlink()
    check = CheckAhead.start(out)
    assert check is not None
    rows = load_manifest(out, check).files
    assert {p for p, r in rows.items() if r[SEEN] == 0} == {
        "models/alpha-vision/index.html",
        "api/compare/alpha-vision-vs-beta-paint.json",
    }
    for path, row in rows.items():
        if row[SEEN]:
            assert row[SEEN] == (out / path).stat().st_mtime_ns
    assert {r[SEEN] for r in load_manifest(out).files.values()} == {-1}  # no check: -1


def test_a_check_of_another_manifest_is_not_used(
    catalog: Path, built: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other" / "site"
    build(catalog, other)
    check = CheckAhead.start(other)
    assert check is not None
    rows = load_manifest(built, check).files
    assert rows and {r[SEEN] for r in rows.values()} == {-1}


def test_a_check_nobody_takes_is_stopped(built: Path) -> None:
    check = CheckAhead.start(built)
    assert check is not None
    check.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(check.child.pid, 0)  # already waited for
    assert load_manifest(built, check).files  # a closed check is simply not used


def test_incremental_equals_clean_with_two_workers(tmp_path: Path) -> None:
    """The default catalog is large enough for worker processes, which hand their manifest
    rows over in files of the staging folder."""
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    out = tmp_path / "site"
    build(data, out, jobs=2)
    models = data / "models"
    first = sorted(models.glob("*.yaml"))[0]
    shutil.copy(first, models / "zz-added-entry.yaml")  # new pages, at the end of every list
    report = build(data, out, jobs=2)
    assert 0 < report.written < report.pages
    same_as_clean(data, out, tmp_path)
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert set(load_manifest(out).files) == files  # every file, nothing else (no rows folder)
    (models / "zz-added-entry.yaml").unlink()
    report = build(data, out, jobs=2)
    assert report.deleted > 0
    same_as_clean(data, out, tmp_path)


def test_a_check_asked_early_leaves_the_rest_to_the_writers(
    catalog: Path, built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = built
    found = write._check_files(out, lambda: False)
    assert found is not None
    identity, every = found
    monkeypatch.setattr(write, "CHECK_STEP", 3)
    answers = iter([False, True])  # asked after the first step
    assert write._check_files(out, lambda: next(answers)) == (identity, every[: 3 * 8])

    class Early:
        def take(self, _: object) -> array:
            return array("q", every[: 3 * 8])

    rows = list(load_manifest(out, Early()).files.values())  # type: ignore[arg-type]
    assert all(r[SEEN] > 0 for r in rows[:3]) and {r[SEEN] for r in rows[3:]} == {-1}


def _pieces(out: Path) -> list[Path]:
    return sorted((out.parent / ".rivals-cache" / out.name / "pieces").glob("*/*"))


def _kept(piece: object) -> bytes:
    """Return a kept piece's file as a build writes it: a digest, then the marshalled piece."""
    data = marshal.dumps(piece)
    return write._digest(data) + data


def test_kept_pieces_are_reused_only_for_the_same_entry_and_base(
    catalog: Path, built: Path, tmp_path: Path
) -> None:
    """A build renders each entry's capability list once and keeps it; a later build takes it
    instead of rendering it, unless the entry (its fingerprint) or the base changed or the
    build is --clean. Tampering with a kept piece shows which one a page came from."""
    store = [p for p in _pieces(built) if p.name.startswith("capabilities-")]
    assert len({p.name.split("-")[1] for p in store}) == 4  # one fingerprint per entry
    page = built / "compare" / "alpha-vision-vs-beta-paint" / "index.html"
    clean_page = page.read_text()
    for piece in store:
        piece.write_bytes(_kept("<p>kept piece</p>"))
    page.unlink()  # rendered again, with the kept pieces
    build(catalog, built)
    assert "<p>kept piece</p>" in page.read_text()
    page.unlink()
    build(catalog, built, clean=True)  # reads no piece
    assert page.read_text() == clean_page
    for piece in _pieces(built):
        if piece.name.startswith("capabilities-"):
            piece.write_bytes(_kept("<p>kept piece</p>"))
    edit_summary(catalog, "alpha-vision", "summary: ", "summary: Edited. ")
    edit_summary(catalog, "beta-paint", "summary: ", "summary: Edited. ")
    build(catalog, built)  # both sides changed: their pieces are rendered again
    assert "<p>kept piece</p>" not in page.read_text()


def test_a_kept_piece_of_the_wrong_shape_is_rendered_again(catalog: Path, built: Path) -> None:
    page = built / "compare" / "alpha-vision-vs-beta-paint" / "index.html"
    clean_page = page.read_text()
    for piece in _pieces(built):  # a cells piece holding a string, and the reverse
        wrong = "<p>wrong</p>" if piece.name.startswith("cells-") else (("<p>wrong</p>",), ())
        piece.write_bytes(_kept(wrong))
    page.unlink()
    build(catalog, built)
    assert page.read_text() == clean_page


@pytest.mark.parametrize("damage", ["flipped", "no digest", "empty"])
def test_a_damaged_kept_piece_is_rendered_again(damage: str, catalog: Path, built: Path) -> None:
    """A piece is put on pages as it is: one whose bytes changed after it was written (or
    one of a version without the digest) was shown, however wrong."""
    page = built / "compare" / "alpha-vision-vs-beta-paint" / "index.html"
    clean_page = page.read_text()
    for piece in _pieces(built):
        data = piece.read_bytes()
        if damage == "flipped":  # one byte of the HTML: still a valid marshalled string
            text = marshal.loads(data[write.PIECE_DIGEST :])
            if isinstance(text, str):
                data = data[: write.PIECE_DIGEST] + marshal.dumps(text.replace("<", "[", 1))
        elif damage == "no digest":
            data = data[write.PIECE_DIGEST :]
        else:
            data = b""
        piece.write_bytes(data)
    page.unlink()
    build(catalog, built)
    assert page.read_text() == clean_page


def test_pieces_of_gone_entries_and_old_bases_are_deleted(catalog: Path, built: Path) -> None:
    before = {p.name.split("-")[1] for p in _pieces(built)}
    edit_summary(catalog, "alpha-vision", "summary: ", "summary: Edited. ")
    build(catalog, built)
    after = {p.name.split("-")[1] for p in _pieces(built)}
    assert len(after) == 4 and len(after - before) == len(before - after) == 1
    (catalog / "models" / "beta-paint.yaml").unlink()
    (catalog / "matches.yaml").write_text("- pair: [gamma-studio, alpha-vision]\n  count: 3\n")
    build(catalog, built)
    assert len({p.name.split("-")[1] for p in _pieces(built)}) == 3
    assert len({p.parent.name for p in _pieces(built)}) == 1  # the base changed (the pairs)


def test_no_child_is_forked_while_another_thread_runs(catalog: Path, built: Path) -> None:
    """`rivals serve` rebuilds beside its server's thread: a forked child would inherit only
    the forking thread, and locks the others held."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not forked.can_fork()
        assert CheckAhead.start(built) is None
        edit_summary(catalog, "gamma-studio", "Runs offline", "Works offline")
        report = build(catalog, built)
        assert report.written == 5  # its pages (see test_incremental_equals_clean)
    finally:
        stop.set()
        other.join()
    assert forked.can_fork() == ((os.cpu_count() or 1) >= 2)


def test_a_kept_closeness_order_is_used_and_clean_ignores_it(
    catalog: Path, built: Path, tmp_path: Path
) -> None:
    kept = write.cache_dir(built) / "closeness.pickle"
    key, order = pickle.loads(kept.read_bytes())
    assert order == closeness(load_and_validate(catalog))
    tampered = {slug: found[::-1] for slug, found in order.items()}
    assert tampered != order
    kept.write_bytes(pickle.dumps((key, tampered)))
    build(catalog, built)  # same inputs, same key: the kept order is taken as it is
    clean = tmp_path / "clean"
    build(catalog, clean)
    assert tree(built) != tree(clean)
    build(catalog, built, clean=True)  # --clean reads none of it, and keeps the right one
    assert tree(built) == tree(clean)
    assert pickle.loads(kept.read_bytes()) == (key, order)


@pytest.mark.parametrize(
    "damage",
    ["unknown slug", "itself", "not a list", "other key", "not a pickle"],
)
def test_a_kept_closeness_order_that_does_not_fit_is_computed_again(
    damage: str, catalog: Path, built: Path, tmp_path: Path
) -> None:
    kept = write.cache_dir(built) / "closeness.pickle"
    key, order = pickle.loads(kept.read_bytes())
    slug = next(iter(order))
    wrong = dict(order)
    if damage == "unknown slug":
        wrong[slug] = ["no-such-entry"]
    elif damage == "itself":
        wrong[slug] = [slug]
    elif damage == "not a list":
        wrong[slug] = tuple(order[slug])
    elif damage == "other key":
        key = "0" * 64
        wrong = {s: found[::-1] for s, found in order.items()}
    kept.write_bytes(b"\x80junk" if damage == "not a pickle" else pickle.dumps((key, wrong)))
    for page in (built / "models").iterdir():  # pages that list alternatives
        shutil.rmtree(page)
    build(catalog, built)
    same_as_clean(catalog, built, tmp_path)


@pytest.mark.parametrize(
    "junk",
    [b"", b"\x80junk", b"\x80\x05K", pickle.dumps([1, 2]), pickle.dumps({"": b"x", "k": b"y"})],
    ids=["empty", "bad protocol", "truncated", "a list", "bad entries"],
)
def test_a_damaged_parsed_catalog_is_parsed_again(
    junk: bytes, catalog: Path, built: Path, tmp_path: Path
) -> None:
    memo_path(built).write_bytes(junk)
    edit_summary(catalog, "gamma-studio", "Runs offline", "Works offline")
    build(catalog, built)  # no traceback: the memo is read as empty
    same_as_clean(catalog, built, tmp_path)


@pytest.mark.parametrize("name", ["catalog.pickle", "closeness.pickle", "pieces", "templates"])
def test_a_cache_that_cannot_be_written_does_not_fail_the_build(
    name: str, catalog: Path, built: Path, tmp_path: Path
) -> None:
    path = write.cache_dir(built) / name
    if path.is_dir():  # a file where a folder goes
        shutil.rmtree(path)
        path.write_text("in the way")
    else:  # a folder where a file goes
        path.unlink()
        (path / "in-the-way").mkdir(parents=True)
    edit_summary(catalog, "gamma-studio", "Runs offline", "Works offline")
    build(catalog, built)  # pages committed; the caches are made again next time
    same_as_clean(catalog, built, tmp_path)
    build(catalog, built, clean=True)  # every piece and template compiled again: no error
    same_as_clean(catalog, built, tmp_path)


class _Planted:
    """A pickle that leaves a file behind when it is loaded: code run by whoever loads it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.mkdir, (str(self.marker),))


@pytest.mark.parametrize("name", ["catalog.pickle", "closeness.pickle"])
def test_a_cache_others_can_write_is_not_loaded(
    name: str, catalog: Path, built: Path, tmp_path: Path
) -> None:
    """`--out /tmp/site` keeps its caches in /tmp/.rivals-cache/, where anyone can write: a
    pickle planted there ran as whoever built. Only files of this user alone are read."""
    marker = tmp_path / "ran"
    path = write.cache_dir(built) / name
    path.write_bytes(pickle.dumps(_Planted(marker)))
    path.chmod(0o666)
    build(catalog, built)
    assert not marker.exists()
    same_as_clean(catalog, built, tmp_path)
    path.write_bytes(pickle.dumps(_Planted(marker)))
    path.chmod(0o644)  # the user's own file: trusted, as the proof that the test can fail
    build(catalog, built)
    assert marker.exists()


def test_the_manifest_and_pieces_of_a_team_member_are_used(
    catalog: Path, built: Path, tmp_path: Path
) -> None:
    """In a folder a team shares, the previous build may be a colleague's, who owns neither
    --out nor its folder: ignoring their manifest rewrote every page and kept a deleted
    entry's pages for ever. What cannot run is read from a cache folder the build trusts."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("needs root, to give the files to another user")
    folder = write.cache_dir(built)
    for path in [folder / "manifest.bin", *(folder / "pieces").rglob("*")]:
        os.chown(path, 1234, 1234)
    no_op_then_delete(catalog, built, tmp_path)


def test_a_cache_folder_that_cannot_be_made_stops_the_build_before_out(
    catalog: Path, tmp_path: Path
) -> None:
    """Another user's .rivals-cache (here a file in the way): the manifest could not be saved
    after the pages were moved into --out, so every build failed with --out changed."""
    (tmp_path / ".rivals-cache").write_text("in the way")
    out = tmp_path / "site"
    with pytest.raises(BuildError, match=r"cannot write in the cache folder .*: build into"):
        build(catalog, out)
    assert not out.exists()


def test_the_manifest_and_pieces_are_used_where_files_have_no_permissions(
    catalog: Path, built: Path, tmp_path: Path
) -> None:
    """On FAT or a Windows drive under WSL every file is 0777: ignoring the manifest there
    would keep the pages of a deleted entry for ever. Data that cannot run need only be ours."""
    folder = write.cache_dir(built)
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix != ".pickle":
            path.chmod(0o777)
    assert (built / "models" / "beta-paint").exists()
    delete_beta_paint(catalog)
    build(catalog, built)
    same_as_clean(catalog, built, tmp_path)
    assert not (built / "models" / "beta-paint").exists()


def test_caches_are_kept_under_a_umask_that_lets_the_group_write(
    catalog: Path, tmp_path: Path
) -> None:
    """Many desktops give users a umask of 002: caches written group-writable would never be
    read back, and every build would write every page again."""
    previous = os.umask(0o002)
    try:
        out = tmp_path / "site"
        build(catalog, out)
        before = stamps(out)
        build(catalog, out)
    finally:
        os.umask(previous)
    assert stamps(out) == before
    kept = [p for p in write.cache_dir(out).rglob("*") if p.is_file()]
    assert kept and all(not p.stat().st_mode & 0o022 for p in kept)


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A folder outside the site and its caches, which no build may touch."""
    folder = tmp_path / "victim"
    (folder / "sub" / "deep").mkdir(parents=True)
    (folder / "sub" / "deep" / "file").write_text("keep")
    (folder / "notes.txt").write_text("keep")
    (folder / "old.cache").write_text("keep")
    return folder


def untouched(folder: Path) -> bool:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) == [
        "notes.txt",
        "old.cache",
        "sub",
        "sub/deep",
        "sub/deep/file",
    ] and all(p.read_text() == "keep" for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("link", ["pieces", "pieces/base", "templates"])
def test_links_in_the_cache_folder_are_never_followed(
    link: str, catalog: Path, built: Path, tmp_path: Path, victim: Path
) -> None:
    """Cleaning kept pieces and stale compiled templates deleted whatever a link put in the
    cache folder led to (someone else's cache folder in /tmp, say)."""
    folder = write.cache_dir(built)
    if link == "pieces/base":
        (base,) = (folder / "pieces").iterdir()
        shutil.rmtree(base)
        base.symlink_to(victim)
    else:
        shutil.rmtree(folder / link, ignore_errors=True)
        (folder / link).symlink_to(victim)
    edit_summary(catalog, "gamma-studio", "Runs offline", "Works offline")
    build(catalog, built)
    assert untouched(victim)
    same_as_clean(catalog, built, tmp_path)


def test_a_cache_file_is_written_as_a_new_file_not_through_what_is_there(
    catalog: Path, built: Path, tmp_path: Path, victim: Path
) -> None:
    """A cache file is written to a temporary name then renamed: a link planted at that name
    was followed (a file elsewhere overwritten) and a FIFO hung the build."""
    import signal

    folder = write.cache_dir(built)
    pid = os.getpid()
    (folder / f".closeness.pickle.{pid}").symlink_to(victim / "notes.txt")
    os.mkfifo(folder / f".manifest.bin.{pid}")
    (folder / "closeness.pickle").unlink()

    def stop(signum: int, frame: object) -> None:
        raise TimeoutError("the build hung")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(60)
    try:
        edit_summary(catalog, "gamma-studio", "Runs offline", "Works offline")
        build(catalog, built, jobs=1)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert untouched(victim)
    assert (folder / "closeness.pickle").is_file() and not (
        folder / "closeness.pickle"
    ).is_symlink()
    assert write.load_manifest(built).files  # saved, not stuck on the FIFO
    same_as_clean(catalog, built, tmp_path)


def test_a_cache_folder_of_another_user_stops_the_build(catalog: Path, tmp_path: Path) -> None:
    """`--out /tmp/site` when someone else made /tmp/.rivals-cache: everything in it would be
    theirs to change between builds. The build says so and writes nothing."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("needs root, to give the folder to another user")
    out = tmp_path / "site"
    folder = write.cache_dir(out)
    folder.mkdir(parents=True)
    os.chown(folder.parent, 65534, 65534)
    with pytest.raises(BuildError, match=r"the cache folder .* belongs to user \S+, not to you"):
        build(catalog, out)
    assert not out.exists()
    os.chown(folder.parent, 0, 0)
    os.chown(folder, 65534, 65534)
    with pytest.raises(BuildError, match=r"belongs to user \S+, not to you"):
        build(catalog, out)
    out.mkdir()
    os.chown(out, 65534, 65534)  # a folder the team shares: its owner's caches are trusted
    build(catalog, out)
    assert (out / "index.html").is_file()
    shutil.rmtree(out)
    os.chown(folder.parent.parent, 65534, 65534)  # and so are those of its folder's owner
    build(catalog, out)
    assert (out / "index.html").is_file()


def test_the_previous_build_of_the_output_folders_owner_is_trusted(
    catalog: Path, built: Path, tmp_path: Path
) -> None:
    """A folder a team shares, `sudo rivals build` after a user's build, or a mount that maps
    every file to one user: the manifest belongs to the owner of --out, not to this user.
    Ignoring it rewrote every page and kept a deleted entry's pages for ever."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("needs root, to give the files to another user")
    for path in [built, *built.rglob("*"), *write.cache_dir(built).parent.rglob("*")]:
        os.chown(path, 65534, 65534, follow_symlinks=False)
    os.chown(write.cache_dir(built).parent, 65534, 65534)
    os.chown(tmp_path, 65534, 65534)  # the folder --out is in, as a mapped mount would have it
    no_op_then_delete(catalog, built, tmp_path)


def _plant_row(out: Path, path: object) -> None:
    """Add a row for `path` to the manifest of `out`, as a damaged or forged one would."""
    manifest = write.cache_dir(out) / "manifest.bin"
    version, window, parts = marshal.loads(manifest.read_bytes())
    paths, sizes, mtimes, keys = marshal.loads(parts[0])
    parts[0] = marshal.dumps(([*paths, path], [*sizes, 1], [*mtimes, 1], [*keys, "k"]))
    manifest.write_bytes(marshal.dumps((version, window, parts)))


@pytest.mark.parametrize("row", ["../victim.txt", "models", "/etc/hostname", 123])
def test_a_damaged_manifest_row_is_not_obeyed(
    row: object, catalog: Path, built: Path, tmp_path: Path
) -> None:
    """A path outside --out, a folder, or not a path at all: each broke every later build,
    --clean included (one after its pages had moved, saying --out was left as it was)."""
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    _plant_row(built, row)
    edit_summary(catalog, "gamma-studio", "Runs offline", "Works offline")
    build(catalog, built)
    assert victim.read_text() == "keep"
    same_as_clean(catalog, built, tmp_path)
    build(catalog, built, clean=True)
    same_as_clean(catalog, built, tmp_path)


def _add_entry(catalog: Path, slug: str) -> Path:
    """Add an entry to the catalog (a copy of alpha-vision under another name)."""
    path = catalog / "models" / f"{slug}.yaml"
    text = (catalog / "models" / "alpha-vision.yaml").read_text()
    path.write_text(text.replace("name: Alpha Vision", f"name: {slug.title()}", 1))
    return path


def test_a_move_into_out_that_fails_half_way_leaves_no_page_behind_for_good(
    catalog: Path, built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    added = _add_entry(catalog, "zeta-vision")
    real, moves = os.replace, [0]

    def failing(source: object, target: object) -> None:
        moves[0] += "zeta-vision" in str(target)
        if moves[0] > 2:  # two of the new entry's files are in --out
            raise OSError(28, "No space left on device")
        real(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(write.os, "replace", failing)
    with pytest.raises(BuildError) as failed:
        build(catalog, built)
    assert not failed.value.untouched
    monkeypatch.setattr(write.os, "replace", real)
    assert any("zeta-vision" in path for path in tree(built))  # some of its pages moved in
    added.unlink()  # the user gives up on the entry: the next build removes what moved
    build(catalog, built)
    same_as_clean(catalog, built, tmp_path)


def test_a_move_that_fails_half_way_costs_the_next_build_only_the_moved_pages(
    catalog: Path, built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other"
    build(catalog, other)
    edit_summary(catalog, "alpha-vision", "summary: ", "summary: Edited. ")
    edited = build(catalog, other)  # what an edit of this summary renders again
    real, moves = os.replace, [0]

    def failing(source: object, target: object) -> None:
        moves[0] += str(target).startswith(f"{built}/")  # a page, not a cache file
        if moves[0] > 3:
            raise OSError(28, "No space left on device")
        real(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(write.os, "replace", failing)
    with pytest.raises(BuildError):
        build(catalog, built)
    monkeypatch.setattr(write.os, "replace", real)
    assert moves[0] == 4
    again = build(catalog, built)
    # The first build's rows stay good: the next build renders what the edit changed, as
    # an edit does, not the whole site again.
    assert again.rendered == edited.rendered < again.pages  # type: ignore[attr-defined]
    same_as_clean(catalog, built, tmp_path)


def test_a_file_where_a_folder_goes_stops_the_build_before_anything_moves(
    catalog: Path, built: Path
) -> None:
    (built / "models" / "zeta-vision").write_text("mine\n")
    before = tree(built)
    _add_entry(catalog, "zeta-vision")
    with pytest.raises(BuildError, match="models/zeta-vision is a file where the build needs a"):
        build(catalog, built)
    assert tree(built) == before


def test_an_empty_out_folder_is_built_into_not_replaced(catalog: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    out.chmod(0o2750)
    inode = out.stat().st_ino
    build(catalog, out)
    assert out.stat().st_ino == inode
    assert out.stat().st_mode & 0o7777 == 0o2750
    assert (out / "index.html").is_file()
    assert not [p for p in tmp_path.iterdir() if ".staging-" in p.name]
    same_as_clean(catalog, out, tmp_path)


def test_a_name_that_comes_to_equal_another_updates_every_link_to_the_other(
    tmp_path: Path,
) -> None:
    """Moondream's name stays as it was, but once another entry takes it, every page that
    names Moondream shows its slug: also related links on pages of two other entries."""
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    out = tmp_path / "site"
    build(data, out)
    edit_summary(data, "whisper-cpp", "name: whisper.cpp", "name: Moondream 2")
    build(data, out)
    same_as_clean(data, out, tmp_path)


def test_no_folder_the_build_makes_is_writable_by_every_user(catalog: Path, tmp_path: Path) -> None:
    """Under a umask of 000, folders were 777: any user could put a page, or a kept piece that
    the next build shows on hundreds of pages, into the site."""
    previous = os.umask(0)
    try:
        out = tmp_path / "site"
        build(catalog, out)
        assert os.umask(0) == 0  # the build gave the umask back
    finally:
        os.umask(previous)
    made = [out, *out.rglob("*"), write.cache_dir(out).parent, *write.cache_dir(out).rglob("*")]
    folders = [p for p in made if p.is_dir()]
    assert len(folders) > 10
    assert [p for p in folders if p.stat().st_mode & 0o002] == []
    assert all(p.stat().st_mode & 0o777 == 0o775 for p in folders)


def test_match_counts_that_move_between_pairs_reorder_the_most_compared(
    catalog: Path, tmp_path: Path
) -> None:
    """Every entry's total stays 8, so no entry's record changes; the home and category pages
    list the pairs most compared, whose order does."""

    def matches(first: int, second: int) -> None:
        (catalog / "matches.yaml").write_text(
            f"- {{pair: [alpha-vision, beta-paint], count: {first}}}\n"
            f"- {{pair: [delta-api, gamma-studio], count: {first}}}\n"
            f"- {{pair: [alpha-vision, gamma-studio], count: {second}}}\n"
            f"- {{pair: [beta-paint, delta-api], count: {second}}}\n"
        )

    out = tmp_path / "site"
    matches(5, 3)
    build(catalog, out)
    home = (out / "index.html").read_text()
    matches(3, 5)
    build(catalog, out)
    assert (out / "index.html").read_text() != home
    same_as_clean(catalog, out, tmp_path)


@pytest.mark.parametrize(
    "name", ['"static/inline.css"', '"static/" ~ "inline.css"'], ids=["named", "computed"]
)
def test_an_asset_a_template_includes_counts_as_a_template(
    name: str, catalog: Path, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    (templates / "static").mkdir(parents=True)
    (templates / "static" / "inline.css").write_text("p { color: red }")
    (templates / "404.html").write_text(
        '{% extends "theme/404.html" %}'
        "{% block head %}<style>{% include " + name + " %}</style>{% endblock %}"
    )
    out = tmp_path / "site"
    build(catalog, out, templates)
    (templates / "static" / "inline.css").write_text("p { color: blue }")
    build(catalog, out, templates)
    assert "color: blue" in (out / "404.html").read_text()
    same_as_clean(catalog, out, tmp_path, templates)


def test_a_hidden_file_or_backup_is_no_template_to_include(catalog: Path, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    for hidden in (".notes.html", "notes.html~"):
        (templates / hidden).write_text("kept out")
        (templates / "404.html").write_text(
            '{% extends "theme/404.html" %}{% block main %}{% include "' + hidden + '" %}'
            "{% endblock %}"
        )
        with pytest.raises(BuildError, match=f"404.html:1: .*{re.escape(hidden)}"):
            build(catalog, tmp_path / "site", templates)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_capabilities_partial_shows_the_name_each_page_gives(
    jobs: int, catalog: Path, tmp_path: Path
) -> None:
    """Two entries named alike are "Alpha Vision (alpha-vision)" on their pair pages and
    "Alpha Vision" on a model page: the list rendered for one was shown on the other."""
    edit_summary(catalog, "delta-api", "name: Delta API", "name: Alpha Vision")
    templates = tmp_path / "templates"
    (templates / "partials").mkdir(parents=True)
    theme = (REPO / "templates" / "partials" / "capabilities.html").read_text()
    (templates / "partials" / "capabilities.html").write_text(
        '<p class="who">{{ entry.name }}</p>\n' + theme
    )
    site = catalog / "site.yaml"
    site.write_text(site.read_text().replace("capabilities_shown: 2", "capabilities_shown: 3"))
    out = tmp_path / "site"
    build(catalog, out, templates, jobs=jobs)
    pair = (out / "compare" / "alpha-vision-vs-delta-api" / "index.html").read_text()
    model = (out / "models" / "alpha-vision" / "index.html").read_text()
    assert '<p class="who">Alpha Vision (alpha-vision)</p>' in pair
    assert '<p class="who">Alpha Vision</p>' in model


def test_a_file_of_the_users_where_a_page_goes_is_noted(catalog: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    (out / "assets").mkdir(parents=True)
    (out / "index.html").write_text("my own home page")
    (out / "assets" / "style.css").write_text("my css")
    (out / "notes.txt").write_text("mine")
    report = build(catalog, out)
    assert report.notes == [
        f"wrote over 2 files in --out {out} that no earlier build is on record as writing"
        " (assets/style.css, index.html): they are the build's now"
    ]
    assert (out / "notes.txt").read_text() == "mine"
    assert build(catalog, out).notes == []  # on record now


def test_a_template_named_from_here_is_the_sites(catalog: Path, tmp_path: Path) -> None:
    """Jinja drops "." segments: "./partials/x.html" is the site's partials/x.html (it was
    refused as hidden, and the built-in one used without a word)."""
    templates = tmp_path / "templates"
    (templates / "static").mkdir(parents=True)
    (templates / "static" / "inline.css").write_text("p { color: red }")
    (templates / "404.html").write_text(
        '{% extends "theme/404.html" %}'
        '{% block head %}<style>{% include "./static/inline.css" %}</style>{% endblock %}'
        '{% block main %}{% include "./partials/note.html" %}{% endblock %}'
    )
    (templates / "partials").mkdir()
    (templates / "partials" / "note.html").write_text("<p>the site's own note</p>")
    out = tmp_path / "site"
    build(catalog, out, templates)
    page = (out / "404.html").read_text()
    assert "color: red" in page and "the site's own note" in page
