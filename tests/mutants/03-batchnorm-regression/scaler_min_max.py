# replaces: TargetScaler
# mistake: min-max scaling, which shifts zero density away from zero (right only when the minimum is 0)
class TargetScaler:
    """Scale targets to [0, 1] by the maximum of the training targets, and back."""

    def fit(self, y):
        self.low_, self.high_ = float(np.min(y)), float(np.max(y))
        return self

    def transform(self, y):
        return (np.asarray(y, dtype=float) - self.low_) / (self.high_ - self.low_)

    def inverse_transform(self, y):
        return np.asarray(y, dtype=float) * (self.high_ - self.low_) + self.low_
