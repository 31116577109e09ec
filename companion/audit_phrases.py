"""Plain-words phrases for access-log action codes, registered by each area at import time.
The access-log page turns "document.view" into "opened the document"."""

PHRASES: dict = {}


def register_phrase(code: str, phrase) -> None:
    PHRASES[code] = phrase


def phrase_for(code: str):
    return PHRASES.get(code, code)
