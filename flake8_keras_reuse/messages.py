"""The codes and their messages, in one table, so the set of codes is visible at a glance.

A message is a subject (which attribute, of which class, where), then the code's consequence
and fix. Subjects differ by how the reuse happens: a second call site, or one site in a loop.
"""

# What sharing does, per layer category (catalog.py), and the fix.
CONSEQUENCES = {
    "stats": "Its moving statistics would be shared: give each use its own instance.",
    "weights": (
        "Its weights are shared, and an input of another shape fails: give each use its own "
        "instance, or mark deliberate weight tying with '# noqa: KR002'."
    ),
    "table": (
        "Its table is shared by both uses: give each use its own instance, or mark deliberately "
        "shared embeddings with '# noqa: KR002'."
    ),
}

SUBJECTS = {
    "again": "'self.{attr}' ({cls}) is called again here{via}; first called on line {first}.",
    "loop": (
        "'self.{attr}' ({cls}) is called again on every pass of this loop{via} "
        "(first called on line {first}, in its first pass)."
    ),
}


def describe(held):
    """The class as the user wrote it, with the Keras class it derives from when they differ."""
    if held.name == held.layer.name:
        return held.name
    return f"{held.name}, a {held.layer.name}"


def _through(helper):
    if not helper:
        return ""
    return " through a lambda" if helper == "<lambda>" else f" through {helper}()"


def format_reuse(code, reuse, held):
    subject = SUBJECTS["loop" if reuse.in_loop else "again"].format(
        attr=reuse.slot, cls=describe(held), first=reuse.first_line,
        via=_through(reuse.via))
    return f"{code} {subject} {CONSEQUENCES[held.layer.category]}"
