"""Web plumbing that is not a blueprint: route declarations and the access guard, sign-in, request
helpers (the input layer, JSON negotiation, the refusal display, locale, shared device), navigation and the
service-worker contract.

Kept apart from `views/` so that a blueprint imports these helpers instead of importing another
blueprint: views -> web -> services -> models (tests/test_layers.py holds the ladder)."""
