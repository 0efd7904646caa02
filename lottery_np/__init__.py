"""lottery_np — the Lottery Ticket Hypothesis (Frankle & Carbin, 2018) in NumPy.

Readable first: every layer's forward and backward pass is written out by hand
next to its equation, and the lottery loop reads like the paper's four steps.
Fast where it counts: the masked products also exist as Numba kernels.

Where things live — the algorithm, here:

* ``layers``   — dense_forward / dense_backward, ReLU, the two losses (plain NumPy: the reference)
* ``fast_layers`` — the Dense layer's fast twins (Numba, survivors only), same signatures;
  ``dense_twins`` picks a network's backend
* ``kernels``  — the masked products, NumPy reference and Numba twin
* ``sparse``   — the same products at the surviving weights only (CSR layout of a mask)
* ``network``  — ``MLP``: lists of weights, biases and masks
* ``optim``    — SGD, momentum, Adam that never revive a pruned weight
* ``pruning``  — pure functions: trained weights and masks in, new masks out
* ``train``    — ``train(net, data, TrainConfig)`` → ``History``
* ``lottery``  — the train → prune → reset loop, the two controls and those of later papers
* ``data``     — MNIST (fetched, checked, cached) and XOR
* ``gradcheck``— finite-difference gradients for tests and notebooks
* ``tickets``  — ``save_ticket`` / ``load_ticket``: one network ready to train, with how it was trained
* ``engine``   — the fast path: fused Numba SGD steps, held to ``train`` by tests

and the machinery that reproduces the paper with it, in ``lottery_np.paper``
(experiments, runner, sweeps, XOR tables, claims, report, figures, the CLI).
The algorithm never imports from ``paper``.
"""
from .data import Dataset, load_mnist, xor_data
from .engine import train_fused
from .errors import ConfigError, DataError, LotteryError, MaskError, ResultsError, ShapeError
from .gradcheck import numerical_gradient, rel_error
from .fast_layers import BACKENDS
from .layers import (dense_backward, dense_forward, relu_backward, relu_forward,
                     sigmoid_binary_cross_entropy, softmax_cross_entropy)
from .lottery import (Level, interpolate, iterative_pruning, oneshot_pruning, random_pruning, reinit_control, reset,
                      shuffle_control, signed_constant, signs_control, supermask)
from .network import MLP, init_weights
from .optim import Optimizer
from .tickets import Ticket, load_ticket, save_ticket
from .pruning import (full_masks, layer_rates, oneshot_rates, percent_remaining, prune_by_magnitude,
                      prune_layer, prune_units, unit_scores)
from .train import History, TrainConfig, train

__version__ = "0.1.0"

__all__ = [
    # layers and the network
    "dense_forward", "dense_backward", "relu_forward", "relu_backward",
    "softmax_cross_entropy", "sigmoid_binary_cross_entropy",
    "MLP", "init_weights", "BACKENDS",
    # training
    "Optimizer", "TrainConfig", "History", "train", "train_fused",
    # pruning and the lottery
    "prune_by_magnitude", "prune_layer", "prune_units", "unit_scores", "layer_rates", "oneshot_rates",
    "full_masks", "percent_remaining",
    "Level", "oneshot_pruning", "iterative_pruning", "reset", "reinit_control", "shuffle_control",
    "signs_control", "random_pruning", "supermask", "signed_constant", "interpolate",
    "Ticket", "save_ticket", "load_ticket",
    # data and checks
    "Dataset", "load_mnist", "xor_data", "numerical_gradient", "rel_error",
    # errors
    "LotteryError", "ConfigError", "DataError", "MaskError", "ResultsError", "ShapeError",
]
