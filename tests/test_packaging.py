"""What the built package carries: pyproject's package-data must name real files, and every file the
package reads from inside companion/ must be named (a pattern matching nothing once hid that the
catalogs are not under companion/ at all)."""

import tomllib

from companion.config import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "companion"
DOCUMENTATION = {".md"}  # read by people, not by the app


def _patterns() -> list[str]:
    with (PROJECT_ROOT / "pyproject.toml").open("rb") as fh:
        return tomllib.load(fh)["tool"]["setuptools"]["package-data"]["companion"]


def _packaged(pattern: str) -> set:
    return {path for path in PACKAGE.glob(pattern) if path.is_file()}


def test_each_package_data_pattern_matches_a_file():
    assert [p for p in _patterns() if not _packaged(p)] == []


def test_each_data_file_of_the_package_is_packaged():
    data = {path for path in PACKAGE.rglob("*") if path.is_file() and "__pycache__" not in path.parts
            and path.suffix not in {".py", ".pyc", *DOCUMENTATION}}
    shipped = set().union(*(_packaged(p) for p in _patterns()))
    assert sorted(str(p.relative_to(PACKAGE)) for p in data - shipped) == []
