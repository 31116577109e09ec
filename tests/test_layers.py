"""The ladder views -> web -> services -> models, read from every module's imports (no app needed).

- a view (a blueprint: a module or a package under companion/views/) imports no other view, and
  never writes the access log itself;
- web plumbing never imports a view;
- a service imports neither web nor views, nor Flask's request or session (the actor is a parameter);
- a model imports only the extensions, other models and the standard and third-party libraries."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "companion"


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module (or module.name) this file imports, as absolute dotted names."""
    name = _name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return found


MODULES = {_name(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def _layer(prefix: str) -> dict[str, set[str]]:
    return {name: imports for name, imports in MODULES.items()
            if name == prefix or name.startswith(prefix + ".")}


def _view_of(name: str) -> str | None:
    """The blueprint a module belongs to: companion.views.<blueprint>[...]."""
    parts = name.split(".")
    return ".".join(parts[:3]) if len(parts) >= 3 and parts[1] == "views" else None


def test_the_ladder_reads_every_module():
    assert len(MODULES) > 80 and "companion.web.routes" in MODULES and "companion.views.documents" in MODULES


def test_no_view_imports_another_view():
    crossings = sorted(
        (name, target) for name, imports in _layer("companion.views").items() for target in imports
        if _view_of(target) not in (None, _view_of(name)) and target in MODULES
    )
    assert crossings == []


def test_no_view_writes_the_access_log():
    """Events are recorded by the service that owns the rule, never by a view."""
    writers = [n for n, imports in _layer("companion.views").items() if "companion.services.audit" in imports]
    assert writers == []


def test_views_hold_only_blueprints():
    from companion.views import BLUEPRINTS

    blueprints = {name for name in _layer("companion.views") if name.count(".") == 2}
    assert blueprints == {b for b in BLUEPRINTS if b.startswith("companion.views.")}


def test_web_plumbing_never_imports_a_view():
    assert sorted((n, t) for n, imports in _layer("companion.web").items() for t in imports
                  if t.startswith("companion.views")) == []


@pytest.mark.parametrize("forbidden", ["companion.web", "companion.views", "flask.request", "flask.session"])
def test_services_import_neither_the_web_nor_the_request(forbidden):
    assert sorted(n for n, imports in _layer("companion.services").items()
                  if any(t == forbidden or t.startswith(forbidden + ".") for t in imports)) == []


def test_models_import_only_extensions_and_models():
    allowed = ("companion.extensions", "companion.models")
    wrong = sorted((n, t) for n, imports in _layer("companion.models").items() for t in imports
                   if t.startswith("companion") and not t.startswith(allowed))
    assert wrong == []
