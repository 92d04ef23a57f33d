"""Case 4: Bayesian-NN uncertainty — the DenseVariational std floor at log 2, and how to score uncertainty."""
