# replaces: diagnose_std_floor
# mistake: evaluates the softplus at the scale instead of at scale * relu(t) = 0
def std_floor(offset, scale):
    return float(offset + math.log1p(math.exp(scale)))
