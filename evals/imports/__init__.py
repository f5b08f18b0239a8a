"""Results of other harnesses turned into Podium v2 runs (``podium import``)."""
