"""Case 6: ship segmentation under extreme pixel imbalance — masks that go to all zeros."""
