"""Web plumbing that is not a blueprint: what every request goes through before and after a view."""
