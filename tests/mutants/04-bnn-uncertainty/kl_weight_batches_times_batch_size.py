# replaces: kl_weight
# mistake: follows 1/M per batch and divides by the batch size, 1/(M*B), which is not 1/N when B does not divide N
def kl_weight(n_train, batch_size):
    return 1.0 / (math.ceil(n_train / batch_size) * batch_size)
