# replaces: TargetScaler
# mistake: inverse_transform divides by the scale again instead of multiplying
class TargetScaler:
    """Scale targets to [0, 1] by the maximum of the training targets, and back."""

    def fit(self, y):
        self.scale_ = float(np.max(y))
        return self

    def transform(self, y):
        return np.asarray(y, dtype=float) / self.scale_

    def inverse_transform(self, y):
        return np.asarray(y, dtype=float) / self.scale_
