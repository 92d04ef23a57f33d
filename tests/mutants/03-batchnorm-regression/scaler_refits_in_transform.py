# replaces: TargetScaler
# mistake: transform divides by the maximum of whatever it is given, not the training maximum
class TargetScaler:
    """Scale targets to [0, 1] by the maximum of the training targets, and back."""

    def fit(self, y):
        self.scale_ = float(np.max(y))
        return self

    def transform(self, y):
        return np.asarray(y, dtype=float) / np.max(y)

    def inverse_transform(self, y):
        return np.asarray(y, dtype=float) * self.scale_
