# replaces: diagnose_std_floor
# mistake: returns the reporter's posted floor, 1e-3 + log 2, whatever the head's offset
def std_floor(offset, scale):
    return float(1e-3 + math.log(2.0))
