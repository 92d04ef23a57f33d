# replaces: train_variational_net
# mistake: predict() draws from a fresh, untrained copy of the net instead of the model it trained and returns
def train_variational_net(x, y, seed=0):
    seed_everything(seed)
    model = build_bnn(x.shape[1], len(x), hidden=(16, 16), last_activation=None, head_scale=1.0)
    fit(model, x, y, steps=2000)
    fresh = build_bnn(x.shape[1], len(x), hidden=(16, 16), last_activation=None, head_scale=1.0)

    def predict(x_new):
        return predictive_moments(*sample_predictions(fresh, x_new, n_samples=100))

    return model, predict


model, predict = train_variational_net(x_train, y_train, seed=0)
