"""Case 2: pose heatmaps — an encoder–decoder whose loss plunges while "accuracy" stays stuck."""
