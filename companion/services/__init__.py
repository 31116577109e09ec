"""Business rules. No request, session or template here: the actor is a parameter.
Services flush; the caller commits once."""


class ServiceError(Exception):
    """A refusal the person can act on. `message` is a lazy translated string."""

    status = 400

    def __init__(self, message, status: int | None = None, field: str | None = None,
                 details: dict | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field  # the form field the message belongs to, if any
        self.details = details or {}  # plain data a JSON caller needs (e.g. the current title)
        if status is not None:
            self.status = status
