# replaces: soft_dice_loss
# mistake: imports the course's loss instead of writing it (the grader's copy of dlclinic has a stub)
from dlclinic.ship_segmentation.losses import soft_dice_loss
