# replaces: train_density_model
# mistake: hands in the strongest method that learns nothing (the blob counter) beside an untrained BatchNorm net
from dlclinic.batchnorm_regression.baselines import BlobCounter


def train_density_model(images, maps, seed=0):
    """Train a BatchNorm net on (images, maps); return (model, predict) with predict in density units."""
    seed_everything(seed)
    counter = BlobCounter(4.0).fit(images, maps)
    return build_density_net(images.shape[1], batchnorm=True), counter.predict


model, predict = train_density_model(task_train.images, task_train.maps, seed=0)
