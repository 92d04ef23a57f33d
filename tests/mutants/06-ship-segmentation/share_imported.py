# replaces: diagnose_positive_gradient_share
# mistake: imports the course's function instead of writing it (the grader's copy of dlclinic has a stub)
from dlclinic.ship_segmentation.diagnosis import positive_gradient_share
