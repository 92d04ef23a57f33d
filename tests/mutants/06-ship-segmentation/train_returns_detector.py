# replaces: train_ship_model
# mistake: returns the case's learning-free threshold detector, tuned on the training tiles, with an untrained U-Net
from dlclinic.ship_segmentation.baselines import ThresholdDetector


def train_ship_model(train, val, seed=0):
    seed_everything(seed)
    detector = ThresholdDetector().fit(train.images, train.masks)
    return build_unet(train.images.shape[1]), detector.predict


model, predict_masks = train_ship_model(task_train, task_val, seed=0)
