"""The lottery ticket procedure, as the paper states it:

    1. Randomly initialize a network  f(x; θ0).
    2. Train it.
    3. Prune: remove the smallest-magnitude surviving weights, giving a mask m.
    4. Reset the survivors to their values in θ0: the ticket is f(x; m ⊙ θ0).

Iterative pruning repeats 2–4; one-shot pruning does 2–3 once and then trains
the reset ticket at each target size. Two controls sit beside the loop, each a
small function that makes a network from a ticket's mask:

* ``reinit_control`` (control 1): same mask, fresh random weights — does the
  *initialization* matter?
* ``shuffle_control`` (control 2): same initial values, moved to random
  positions within each layer — does the *structure* matter?

Controls from the papers that came after (``paper/after.py`` runs them):

* ``signs_control``: same mask, fresh magnitudes, θ0's signs — is the sign all θ0 carries?
  (Zhou et al., 2019)
* ``random_pruning``: a random mask of the same per-layer counts, θ0 where it stands — does
  *which* weights survive matter? (the baseline of Frankle et al., 2020)
* ``supermask``: keep the large trained weights that kept their sign, on *untrained* θ0 — how
  much does the mask alone compute? (Zhou et al., 2019); ``signed_constant`` gives its kept weights
  one magnitude per layer and θ0's signs, their variant
* ``interpolate``: the network on the straight line between two trained copies — did two
  minibatch orders end in one basin? (Frankle et al., 2020)

The paper-scale experiments (``paper/experiments.py``) run these same steps — ``prune``,
``reset`` and the two controls — one training at a time, so that a run can be split,
resumed and spread over machines; ``tests/test_one_loop.py`` holds their numbers to the
loops below, bit for bit.
"""
from dataclasses import dataclass

import numpy as np

from .network import MLP, as_generator, init_weights
from .pruning import full_masks, layer_rates, oneshot_rates, percent_remaining, prune_by_magnitude
from .train import History, train


@dataclass
class Level:
    """One trained network of a pruning experiment; its masks are the network's own."""

    round: int  # 0 = the unpruned network
    history: History
    net: MLP  # the trained network

    @property
    def masks(self):
        return self.net.masks

    @property
    def percent_remaining(self):
        """Percent of all weights still present."""
        return percent_remaining(self.net.masks)


def prune(trained_weights, masks, rates, pruning="layerwise"):
    """Step 3: the masks that also remove the smallest-magnitude ``rates`` of each layer's surviving
    trained weights (``pruning.prune_by_magnitude``; ``"global"`` ranks the hidden layers together)."""
    return prune_by_magnitude(trained_weights, masks, rates, pruning)


def reset(theta0, masks):
    """Step 4: a network with the survivors of ``masks`` at their initial values θ0 (biases too)."""
    net = theta0.copy()
    net.set_masks(masks)
    return net


def iterative_pruning(theta0, data, config, rounds, rate=0.2, output_rate=None, seed=0, reset_weights=True,
                      pruning="layerwise", trainer=train):
    """Section 4: train, prune ``rate`` of each hidden layer (``rate/2`` of the output
    layer), reset to θ0, and repeat for ``rounds`` rounds. Returns ``rounds + 1`` Levels.

    reset_weights=False is the "Han et al." variant of section 6: survivors keep
    their trained values instead of going back to θ0.
    seed : the minibatch order, the same for every round.
    pruning : ``"layerwise"`` (the paper's) or ``"global"``: ``rate`` of the hidden layers'
        survivors taken together (``pruning.prune_global``).
    trainer : step 2, ``train.train`` (the readable path) or a fast twin of the same contract
        (``engine.train_fused``).
    """
    rates = layer_rates(rate, len(theta0.weights), output_rate)
    masks, trained, levels = full_masks(theta0.weights), None, []
    for r in range(rounds + 1):
        if r > 0:
            masks = prune(trained.weights, masks, rates, pruning)  # 3. prune
        net = reset(theta0 if reset_weights or r == 0 else trained, masks)  # 4. reset (1. at r = 0)
        history = trainer(net, data, config, seed=seed)  # 2. train
        levels.append(Level(r, history, net))
        trained = net
    return levels


def oneshot_pruning(theta0, data, config, fractions, seed=0, pruning="layerwise", trainer=train):
    """Section 3: train once, then for each fraction f of hidden weights to keep
    (e.g. 0.55), prune the trained weights to f in one step, reset to θ0, retrain.
    Returns a Level for the unpruned network followed by one per fraction.
    pruning : ``"layerwise"`` (the paper's: f of each hidden layer) or ``"global"`` (f of the
        hidden layers' weights taken together).
    trainer : as for ``iterative_pruning``."""
    trained = theta0.copy()
    levels = [Level(0, trainer(trained, data, config, seed=seed), trained)]  # 1., 2.
    for f in fractions:
        rates = oneshot_rates(f, len(theta0.weights))
        masks = prune(trained.weights, full_masks(theta0.weights), rates, pruning)  # 3.
        net = reset(theta0, masks)  # 4.
        levels.append(Level(1, trainer(net, data, config, seed=seed), net))
    return levels


# ----------------------------------------------------------------------------
# Controls
# ----------------------------------------------------------------------------


def reinit_control(theta0, masks, seed, std=0.1, init="normal"):
    """Control 1: the ticket's mask with fresh weights from the original distribution N(0, std²)."""
    weights, biases = init_weights(theta0.sizes, seed, std=std, init=init, dtype=theta0.dtype)
    return MLP(weights, biases, masks, loss=theta0.loss_name, backend=theta0.backend)


def shuffle_control(theta0, masks, seed):
    """Control 2: within each layer, move the surviving weights to random positions,
    each keeping its initial value; the new mask keeps each layer's count."""
    rng = as_generator(seed)
    weights, new_masks = [], []
    for w0, m in zip(theta0.weights, masks):
        values = w0.reshape(-1)[np.flatnonzero(m)]  # survivors' initial values
        where = rng.permutation(m.size)[: values.size]  # random new positions, in random order
        w, new_m = np.zeros_like(w0), np.zeros_like(m)
        w.reshape(-1)[where] = values
        new_m.reshape(-1)[where] = 1
        weights.append(w)
        new_masks.append(new_m)
    return MLP(weights, theta0.biases, new_masks, loss=theta0.loss_name, backend=theta0.backend)


def signs_control(theta0, masks, seed, std=0.1):
    """The ticket's mask and θ0's signs, with fresh magnitudes |N(0, std²)| (Zhou et al.'s "signs" control).
    The magnitudes are exactly control 1's for the same seed, so the two differ only in the signs."""
    weights, biases = init_weights(theta0.sizes, as_generator(seed), std=std, dtype=theta0.dtype)
    weights = [np.sign(w0) * np.abs(w) for w0, w in zip(theta0.weights, weights)]  # (fan_in, fan_out) each
    return MLP(weights, biases, masks, loss=theta0.loss_name, backend=theta0.backend)


def random_pruning(theta0, masks, seed):
    """A random mask with each layer's count of survivors, the weights at their θ0 values where they
    stand: the baseline that asks whether *which* weights survive matters (unlike control 2, which moves
    the survivors' values, nothing here moves)."""
    rng = as_generator(seed)
    new_masks = []
    for m in masks:
        new_m = np.zeros(np.shape(m), dtype=theta0.dtype)
        new_m.reshape(-1)[rng.permutation(new_m.size)[: int(np.sum(m))]] = 1
        new_masks.append(new_m)
    return reset(theta0, new_masks)


def supermask(theta0, trained, masks):
    """Masks chosen by "large final, same sign": in each layer, among the weights whose trained sign is
    their θ0 sign, the largest |trained| — as many as ``masks`` keeps in that layer (fewer if fewer kept
    their sign). ``reset(theta0, supermask(...))`` is the untrained network whose accuracy it measures.
    trained : the trained network the mask is read from (e.g. the unpruned network, trained)."""
    new_masks = []
    for w0, wt, m in zip(theta0.weights, trained.weights, masks):
        same = (np.sign(wt) == np.sign(w0)) & (wt != 0)  # (fan_in, fan_out)
        score = np.where(same, np.abs(wt), -1.0).reshape(-1)
        keep = np.argsort(-score, kind="stable")[: min(int(np.sum(m)), int(same.sum()))]
        new_m = np.zeros(w0.size, dtype=theta0.dtype)
        new_m[keep] = 1
        new_masks.append(new_m.reshape(w0.shape))
    return new_masks


def signed_constant(theta0, masks):
    """Zhou et al.'s "signed constant": every kept weight set to ± its layer's θ0 standard deviation, with
    its θ0 sign — one magnitude per layer, so only the signs and the mask carry information."""
    weights = [(np.sign(w0) * w0.std() * m).astype(w0.dtype) for w0, m in zip(theta0.weights, masks)]  # (fan_in, fan_out)
    return MLP(weights, theta0.biases, masks, loss=theta0.loss_name, backend=theta0.backend)


def interpolate(net_a, net_b, alpha):
    """The network (1 − α)·a + α·b, weights and biases alike, on the masks a and b share: α = 0 is a,
    α = 1 is b. Two trained copies of one ticket have one mask; different masks are refused."""
    if len(net_a.masks) != len(net_b.masks) or any(not np.array_equal(p, q) for p, q in zip(net_a.masks, net_b.masks)):
        raise ValueError("interpolate needs two networks with the same masks (two trainings of one network)")
    mix = lambda p, q: p if alpha == 0 else q if alpha == 1 else (1 - alpha) * p + alpha * q  # noqa: E731
    return MLP([mix(p, q).astype(p.dtype) for p, q in zip(net_a.weights, net_b.weights)],
               [mix(p, q).astype(p.dtype) for p, q in zip(net_a.biases, net_b.biases)],
               net_a.masks, loss=net_a.loss_name, backend=net_a.backend)
