# replaces: TargetScaler
# mistake: min-max scaling to [0, 1]: the spread it leaves is far from 1
class TargetScaler:
    """Standardise targets with the mean and std of the training targets, and back."""

    def fit(self, y):
        y = np.asarray(y, dtype=float)
        if np.ptp(y) == 0:
            raise ValueError("constant y")
        self.mean_, self.std_ = float(np.min(y)), float(np.ptp(y))
        return self

    def _check(self):
        if not hasattr(self, "std_"):
            raise ValueError("not fitted")

    def transform(self, y):
        self._check()
        return (np.asarray(y, dtype=float) - self.mean_) / self.std_

    def inverse_transform(self, z):
        self._check()
        return np.asarray(z, dtype=float) * self.std_ + self.mean_
