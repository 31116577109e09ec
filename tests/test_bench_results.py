"""The README's measured table is the one bench/all.py wrote (bench/results.md), not figures typed by
hand: `bench/all.py --readme` puts it between the README's markers."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_shows_exactly_what_the_bench_wrote():
    readme = (ROOT / "README.md").read_text()
    begin, end = "<!-- bench/all.py:begin -->", "<!-- bench/all.py:end -->"
    shown = readme[readme.index(begin) + len(begin):readme.index(end)].strip()
    written = (ROOT / "bench" / "results.md").read_text().strip()
    assert shown == written
    assert "Measured" in written and "UTC" in written and "cores" in written  # when and on what
    for figure in ("bare Flask", "document list, 10,000 documents", "caregiver views", "Slow 3G", "growth"):
        assert figure in written, figure
