"""The only module that knows every blueprint."""

import importlib

BLUEPRINTS = (
    "companion.views.main",
    "companion.views.auth",
    "companion.views.forgot",
    "companion.views.security",
    "companion.views.profiles",
    "companion.views.caregivers",
    "companion.views.access_log",
    "companion.views.documents",
    "companion.views.emergency",
    "companion.views.shares",
    "companion.views.agenda",
    "companion.views.family",
    "companion.views.push",
    "companion.views.onboarding",
    "companion.views.mediators",
    "companion.views.recovery_requests",
    "companion.views.help",
    "companion.views.proofs",
    "companion.views.dependents",
    "companion.views.closure",
    "companion.views.exports",
    "companion.views.imports",
)


def register(app) -> None:
    for name in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(name).bp)
