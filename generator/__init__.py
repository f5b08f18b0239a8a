"""Podium's presentation side: the ``podium`` CLI and the static site generator."""
