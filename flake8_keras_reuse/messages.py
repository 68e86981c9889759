"""The codes and their messages, in one table, so the set of codes is visible at a glance."""

MESSAGES = {
    "KR001": (
        "'self.{attr}' ({cls}) is called again here; first called on line {first}. "
        "Its moving statistics would be shared: give each use its own instance."
    ),
    "KR002": (
        "'self.{attr}' ({cls}) is called again here; first called on line {first}. "
        "Its weights are shared, and a different input shape fails: give each use its own "
        "instance, or mark deliberate weight tying with '# noqa: KR002'."
    ),
}

LOOP_MESSAGES = {
    "KR001": (
        "'self.{attr}' ({cls}) is called on every pass of this loop (first call on line {first}). "
        "Its moving statistics would be shared: give each use its own instance."
    ),
    "KR002": (
        "'self.{attr}' ({cls}) is called on every pass of this loop (first call on line {first}). "
        "Its weights are shared, and a different input shape fails: give each use its own "
        "instance, or mark deliberate weight tying with '# noqa: KR002'."
    ),
}


def describe(held):
    """The class as the user wrote it, with the Keras class it derives from when they differ."""
    if held.name == held.layer.name:
        return held.name
    return f"{held.name}, a {held.layer.name}"


def format_reuse(code, reuse, held):
    table = LOOP_MESSAGES if reuse.in_loop else MESSAGES
    text = table[code].format(attr=reuse.slot, cls=describe(held), first=reuse.first_line)
    return f"{code} {text}"
