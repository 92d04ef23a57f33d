"""Case 5: siamese speaker embeddings trained with a pairwise KL-divergence + hinge loss."""
