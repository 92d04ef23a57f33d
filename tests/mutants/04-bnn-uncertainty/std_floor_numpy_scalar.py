# replaces: diagnose_std_floor
# mistake: returns a NumPy scalar, not the Python float asked for
def std_floor(offset, scale):
    return np.float64(offset) + np.log(2.0)
