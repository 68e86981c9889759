"""The core: one file's analysis on the stdlib `ast` tree, pure data in and out; it never
imports a front end (command/, plugin) or the seam (api.py).

The syntax passes (index, walk/, owners, footprints, syntax) find candidates; check.py hands
them to resolution and the rules. Loops, branches and helpers are counted in walk/.
"""
