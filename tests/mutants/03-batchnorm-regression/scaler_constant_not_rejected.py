# replaces: TargetScaler
# mistake: a constant y is accepted (the std is 1e-17, not exactly 0), so the scale is garbage
class TargetScaler:
    """Standardise targets with the mean and std of the training targets, and back."""

    def fit(self, y):
        y = np.asarray(y, dtype=float)
        if np.std(y) == 0:
            raise ValueError("constant y")
        self.mean_, self.std_ = float(np.mean(y)), float(np.std(y))
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
