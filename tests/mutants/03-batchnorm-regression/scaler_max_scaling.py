# replaces: TargetScaler
# mistake: the thread's answer: divides by the training maximum instead of standardising
class TargetScaler:
    """Standardise targets with the mean and std of the training targets, and back."""

    def fit(self, y):
        y = np.asarray(y, dtype=float)
        if np.max(y) <= 0:
            raise ValueError("no positive value")
        self.mean_, self.std_ = 0.0, float(np.max(y))
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
