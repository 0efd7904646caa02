"""Optimizers that never revive a pruned weight.

Each update rule is a plain function on one array, in place::

    rule(w, dw, state, settings)   # w <- w - step(dw, state); state updated

``state`` is a dict of arrays shaped like ``w`` (empty for plain SGD).
``Optimizer.step`` applies a rule to every weight and bias of a network and
then re-applies the masks: a pruned weight and every piece of optimizer state
attached to it are set to exactly zero. Plain SGD needs no such help (a pruned
weight's gradient is exactly zero, see ``dense_backward``), but momentum and
Adam carry history, and history from before a pruning must not move a weight
that is gone.
"""
import inspect
import numpy as np

from .errors import ConfigError


def sgd(w, dw, state, lr, **_):
    """w ← w − lr · dw"""
    w -= lr * dw


def momentum(w, dw, state, lr, beta=0.9, **_):
    """v ← β v + dw;  w ← w − lr · v   (heavy-ball momentum)"""
    v = state.setdefault("v", np.zeros_like(w))
    v *= beta
    v += dw
    w -= lr * v


def adam(w, dw, state, lr, beta1=0.9, beta2=0.999, eps=1e-8, t=1, **_):
    """Adam (Kingma & Ba):
    m ← β₁ m + (1−β₁) dw;  v ← β₂ v + (1−β₂) dw²;
    w ← w − lr · m̂ / (√v̂ + ε),  m̂ = m / (1−β₁ᵗ),  v̂ = v / (1−β₂ᵗ)
    """
    m = state.setdefault("m", np.zeros_like(w))
    v = state.setdefault("v", np.zeros_like(w))
    m *= beta1
    m += (1 - beta1) * dw
    v *= beta2
    v += (1 - beta2) * dw * dw
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    w -= lr * m_hat / (np.sqrt(v_hat) + eps)


RULES = {"sgd": sgd, "momentum": momentum, "adam": adam}


class Optimizer:
    """Applies one update rule to every parameter of an ``MLP``.

    >>> opt = Optimizer("sgd", lr=0.1)
    >>> loss, grads = net.loss_and_grads(x, y)
    >>> opt.step(net, grads)
    """

    def __init__(self, name="sgd", lr=0.1, **settings):
        if name not in RULES:
            raise ConfigError(f"unknown optimizer {name!r}; choose one of {', '.join(RULES)}")
        if not lr > 0:
            raise ConfigError(f"learning rate must be positive; got {lr!r}")
        self.name, self.rule = name, RULES[name]
        known = [p for p in inspect.signature(self.rule).parameters if p not in ("w", "dw", "state", "lr", "t", "_")]
        unknown = sorted(set(settings) - set(known))
        if unknown:  # a typo such as beat=0.5 would otherwise be ignored
            raise ConfigError(f"{name} takes no setting {', '.join(unknown)}; its settings are "
                              f"{', '.join(known) or 'none but lr'}")
        self.settings = dict(lr=lr, **settings)
        self.state = {}  # (kind, layer) -> dict of arrays
        self.t = 0

    def step(self, net, grads):
        """One update of every weight and bias from ``grads = [(dW, db), ...]``."""
        self.t += 1
        for i, (dw, db) in enumerate(grads):
            self.rule(net.weights[i], dw, self.state.setdefault(("w", i), {}), t=self.t, **self.settings)
            self.rule(net.biases[i], db, self.state.setdefault(("b", i), {}), t=self.t, **self.settings)
            if self.name != "sgd":  # stateful rules: keep pruned weights and their history at 0
                m = net.masks[i]
                net.weights[i] *= m
                for arr in self.state[("w", i)].values():
                    arr *= m
