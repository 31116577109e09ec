"""Web plumbing shared by the views: request and response helpers that hold no business rule."""
