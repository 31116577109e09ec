"""Demo data, one module per area. Each module has ORDER (int) and seed(ctx) -> list of lines to print.
Seeds must be idempotent: running `flask demo` twice changes nothing the second time."""

import importlib
import pkgutil
from dataclasses import dataclass, field


@dataclass
class DemoContext:
    password: str = "demo-companion-2026"
    users: dict = field(default_factory=dict)  # key -> User, filled by the accounts seed
    profiles: dict = field(default_factory=dict)  # key -> Profile


def seed_all() -> list[str]:
    modules = [importlib.import_module(f"{__name__}.{m.name}") for m in pkgutil.iter_modules(__path__)]
    ctx = DemoContext()
    lines: list[str] = []
    for module in sorted(modules, key=lambda m: getattr(m, "ORDER", 100)):
        lines += module.seed(ctx) or []
    return lines
