# replaces: TargetScaler
# mistake: fit looks at every map in the notebook (training and held-out), not only the data it is given
class TargetScaler:
    """Scale targets to [0, 1] by the maximum of the training targets, and back."""

    def fit(self, y):
        self.scale_ = float(max(np.max(y), np.max(task_train.maps), np.max(task_test.maps)))
        return self

    def transform(self, y):
        return np.asarray(y, dtype=float) / self.scale_

    def inverse_transform(self, y):
        return np.asarray(y, dtype=float) * self.scale_
