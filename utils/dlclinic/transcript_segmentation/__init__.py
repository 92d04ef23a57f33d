"""Case 1: segmenting a transcript into topics when only one sentence in ten starts a segment."""
