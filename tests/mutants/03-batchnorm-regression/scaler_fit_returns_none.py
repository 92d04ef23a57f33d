# replaces: TargetScaler
# mistake: fit does not return self, so TargetScaler().fit(y).transform(y) fails
class TargetScaler:
    """Scale targets to [0, 1] by the maximum of the training targets, and back."""

    def fit(self, y):
        self.scale_ = float(np.max(y))

    def transform(self, y):
        return np.asarray(y, dtype=float) / self.scale_

    def inverse_transform(self, y):
        return np.asarray(y, dtype=float) * self.scale_
