# replaces: airbus_f2
# mistake: imports the course's metric instead of writing it (the grader's copy of dlclinic has a stub)
from dlclinic.ship_segmentation.metrics import airbus_f2
