"""Training: minibatch gradient descent for a fixed number of iterations.

``train`` knows nothing about pruning: it trains whatever network it is given
(masks and all) and reports what happened in a ``History``. The paper's
measurements come from it:

* **convergence iteration** — the iteration at which validation loss is lowest
  (evaluated every ``eval_every`` iterations);
* **accuracy** — test accuracy at that iteration. Test data is evaluated only
  when validation loss improves (unless ``record_test_curve`` asks for the
  whole curve), so the test set never steers anything.

A run whose loss becomes NaN or infinite stops there and is marked
``diverged``; it is a result, not a crash.
"""
from dataclasses import asdict, dataclass, field

import numpy as np

from .errors import ConfigError
from .network import as_generator
from .optim import RULES, Optimizer


def is_count(v):
    """A number of iterations or examples: a whole number ≥ 1."""
    return isinstance(v, (int, np.integer)) and v >= 1


def is_learning_rate(v):
    """A step size: a positive, finite number."""
    return isinstance(v, (int, float)) and v > 0 and np.isfinite(v)


@dataclass
class TrainConfig:
    """How to train. Defaults are the paper's LeNet-300-100 settings (plain SGD, lr 0.1,
    minibatches of 60, 50,000 iterations, validation every 100; the README's "Settings").

    iterations : minibatch steps in total (paper: 50,000).
    batch_size : examples per step (paper: 60).
    lr : learning rate (paper: 0.1 with plain SGD).
    optimizer : ``"sgd"``, ``"momentum"`` or ``"adam"``.
    momentum : β for ``"momentum"`` (ours: 0.9; unused by the paper).
    eval_every : iterations between validation evaluations (paper: 100).
    record_test_curve : also evaluate test accuracy at every evaluation, for plots.
    """

    iterations: int = 50000
    batch_size: int = 60
    lr: float = 0.1
    optimizer: str = "sgd"
    momentum: float = 0.9
    eval_every: int = 100
    record_test_curve: bool = False

    def __post_init__(self):
        for name in ("iterations", "batch_size", "eval_every"):
            v = getattr(self, name)
            if not is_count(v):
                raise ConfigError(f"{name} must be a positive whole number; got {v!r}")
        if not is_learning_rate(self.lr):
            raise ConfigError(f"lr must be a positive number; got {self.lr!r}")
        if self.optimizer not in RULES:
            raise ConfigError(f"unknown optimizer {self.optimizer!r}; choose one of {', '.join(RULES)}")
        if not 0 <= self.momentum < 1:
            raise ConfigError(f"momentum must be in [0, 1); got {self.momentum!r}")

    def make_optimizer(self):
        extra = {"beta": self.momentum} if self.optimizer == "momentum" else {}
        return Optimizer(self.optimizer, lr=self.lr, **extra)


@dataclass
class History:
    """What one training run did. Curves are sampled every ``eval_every`` iterations."""

    iterations: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)  # mean minibatch loss since the last evaluation
    val_loss: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)
    test_acc: list = field(default_factory=list)  # NaN where not evaluated
    convergence_iteration: int = 0  # iteration of minimum validation loss
    min_val_loss: float = float("inf")
    test_accuracy: float = float("nan")  # test accuracy at the convergence iteration
    diverged: bool = False
    stopped_at: int = 0  # last iteration trained (== iterations unless diverged)

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, d):
        return cls(**d)


def batches(n, batch_size, rng):
    """Endless minibatch indices: a fresh permutation of range(n) every epoch.

    An epoch yields ``n // batch_size`` full batches; the last partial batch is
    dropped (55,000 / 60 → 916 batches, 40 examples wait for the next epoch's shuffle).
    """
    if batch_size > n:
        raise ConfigError(f"batch_size {batch_size} is larger than the training set ({n})")
    while True:
        perm = rng.permutation(n)
        for start in range(0, n - batch_size + 1, batch_size):
            yield perm[start:start + batch_size]


def record_evaluation(hist, running, it, val_loss, val_acc, test_accuracy, config, callback):
    """Append one evaluation to ``hist``; return False if the validation loss is not finite.

    ``test_accuracy()`` is called only when validation loss improves (or when
    ``config.record_test_curve`` asks for the whole curve): the test set never steers anything.
    ``running`` holds the minibatch losses since the last evaluation (emptied here)."""
    improved = val_loss < hist.min_val_loss
    test_acc = test_accuracy() if (improved or config.record_test_curve) else float("nan")
    if improved:
        hist.min_val_loss, hist.convergence_iteration, hist.test_accuracy = val_loss, it, test_acc
    hist.iterations.append(it)
    hist.train_loss.append(float(np.mean(running)) if running else float("nan"))
    hist.val_loss.append(val_loss)
    hist.val_acc.append(val_acc)
    hist.test_acc.append(test_acc)
    running.clear()
    if callback is not None:
        callback(it, hist)
    return bool(np.isfinite(val_loss))


def train(net, data, config=None, seed=0, callback=None):
    """Train ``net`` in place on ``data`` (a ``Dataset``); return its ``History``.

    seed : seed or ``Generator`` for the minibatch order (nothing else is random).
    callback : optional ``f(iteration, history)`` called after each evaluation.
    """
    config = config or TrainConfig()
    rng = as_generator(seed)
    opt = config.make_optimizer()
    x_train, y_train = net.check_input(data.x_train, data.y_train)
    x_val, y_val = net.check_input(data.x_val, data.y_val)
    x_test, y_test = net.check_input(data.x_test, data.y_test)
    hist = History()
    running = []

    def evaluate(it):
        val_loss, val_acc = net.evaluate(x_val, y_val)
        return record_evaluation(hist, running, it, val_loss, val_acc, lambda: net.evaluate(x_test, y_test)[1],
                                 config, callback)

    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is reported, not warned about
        evaluate(0)
        order = batches(len(x_train), config.batch_size, rng)
        for it in range(1, config.iterations + 1):
            idx = next(order)
            loss, grads = net.loss_and_grads(x_train[idx], y_train[idx])
            hist.stopped_at = it
            if not np.isfinite(loss):
                hist.diverged = True
                break
            opt.step(net, grads)
            running.append(loss)
            if it % config.eval_every == 0 and not evaluate(it):
                hist.diverged = True
                break
    return hist
