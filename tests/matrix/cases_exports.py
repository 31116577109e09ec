"""Matrix cases for "download everything" and bringing a summary in (issue 17): owners only."""

from . import Case


def _ready_export(world):
    """An archive of the target profile, built as the queue would build it."""
    from companion.extensions import db
    from companion.services import export_archive, exports
    from companion.services.access import find_access

    owner = world.users["owner"]
    asked = exports.request(find_access(owner, world.profile_id), owner, "en")
    db.session.commit()
    assert export_archive.build(asked.export.id)
    world.objects["export_id"] = asked.export.id


CASES = [
    Case("exports.page", "manage"),
    Case("exports.start", "manage", method="POST", data=lambda w: {}),
    Case("exports.download", "manage", prepare=_ready_export,
         kwargs=lambda w: {"export_id": w.objects["export_id"]}),
    Case("imports.upload", "manage"),
    # No file: the form is refused (400), which still proves the guard let the owner in.
    Case("imports.upload", "manage", method="POST", data=lambda w: {}, ok=(400,)),
    Case("imports.confirm", "manage", method="POST", data=lambda w: {"plan": "x", "keep": "0"}, ok=(400,)),
]
