# replaces: TargetScaler
# mistake: using the scaler before fit does not raise ValueError (an AttributeError at best)
class TargetScaler:
    """Standardise targets with the mean and std of the training targets, and back."""

    def fit(self, y):
        y = np.asarray(y, dtype=float)
        if np.std(y) <= 1e-12 * max(1.0, float(np.max(np.abs(y)))):
            raise ValueError("constant y")
        self.mean_, self.std_ = float(np.mean(y)), float(np.std(y))
        return self

    def _check(self):
        if not hasattr(self, "std_"):
            raise ValueError("not fitted")

    def transform(self, y):
        return (np.asarray(y, dtype=float) - getattr(self, "mean_", 0.0)) / getattr(self, "std_", 1.0)

    def inverse_transform(self, z):
        return np.asarray(z, dtype=float) * getattr(self, "std_", 1.0) + getattr(self, "mean_", 0.0)
