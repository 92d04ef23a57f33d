# replaces: diagnose_std_floor
# mistake: returns log 2 and forgets that the offset is added to the softplus
def std_floor(offset, scale):
    return float(math.log(2.0))
