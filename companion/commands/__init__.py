"""Command-line groups: `flask --app companion <group> ...`."""

import importlib
import pkgutil


def register(app):
    for mod in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{mod.name}")
        if hasattr(module, "register"):
            module.register(app)
