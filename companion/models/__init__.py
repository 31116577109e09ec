"""Models, one module per aggregate. Every module here is imported so Alembic sees all tables."""

import importlib
import pkgutil

from ..extensions import db
from .types import UTCDateTime, utcnow

for _mod in pkgutil.iter_modules(__path__):
    if _mod.name != "types":
        importlib.import_module(f"{__name__}.{_mod.name}")

__all__ = ["db", "UTCDateTime", "utcnow"]
