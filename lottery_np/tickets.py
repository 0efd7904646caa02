"""Tickets as files: one network ready to train, with everything that trained it.

A ``Ticket`` holds a network as it is at the start of training — its weights
(θ0 for a winning ticket, a control's own weights for a control), biases and
masks — the training settings, the seed of its minibatch order, how the data
was split, which path trained it, and the result it reached. Training it again
with those settings reproduces that result exactly::

    ticket = load_ticket("ticket.npz")
    history = ticket.train()          # MNIST as the ticket was trained on it
    history.convergence_iteration == ticket.result["convergence_iteration"]

``save_ticket`` writes one (``lottery-np export`` writes one from a results
folder); the file is a NumPy ``.npz``: arrays ``w_i``, ``b_i``, ``mask_i``
(and ``trained_w_i``, ``trained_b_i`` when the trained weights were kept),
and the rest as JSON text under ``ticket``.
"""
from dataclasses import asdict, dataclass, field
import io
import json
import os
from pathlib import Path

import numpy as np

from .data import load_mnist
from .engine import train_fused
from .errors import ResultsError
from .network import MLP
from .train import TrainConfig, train

TICKET_FORMAT = 1


@dataclass
class Ticket:
    """A network ready to train, and how it was trained.

    net : the network at the start of training (weights, biases, masks).
    config : the ``TrainConfig`` it was trained with.
    seed : the entropy of its minibatch order's ``SeedSequence`` (a list of ints), or an int seed.
    data : how MNIST was split and scaled (keyword arguments of ``load_mnist``).
    trainer : ``"fused"`` (``train_fused``, the engine) or ``"readable"`` (``train``).
    result : what training reached (convergence_iteration, test_accuracy, min_val_loss, ...), if known.
    settings : every setting that determined it, for a reader (e.g. an experiment's ``identity``).
    trained : ``(weights, biases)`` after training, if they were kept.
    """

    net: MLP
    config: TrainConfig
    seed: object = 0
    data: dict = field(default_factory=dict)
    trainer: str = "fused"
    result: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    trained: tuple = None

    @property
    def order_seed(self):
        """The seed ``train`` takes for the minibatch order."""
        return np.random.SeedSequence(self.seed) if isinstance(self.seed, (list, tuple)) else self.seed

    def train(self, data=None, callback=None):
        """Train a copy of the ticket's network with its stored settings; return the ``History``.
        data : a ``Dataset`` (default: MNIST loaded as ``self.data`` says)."""
        if data is None:
            data = load_mnist(**self.data)
        trainer = train_fused if self.trainer == "fused" else train
        return trainer(self.net.copy(), data, self.config, seed=self.order_seed, callback=callback)


def save_ticket(path, ticket):
    """Write ``ticket`` to ``path`` (an ``.npz``), whole or not at all. Returns the path."""
    net = ticket.net
    arrays = {}
    for i, (w, b, m) in enumerate(zip(net.weights, net.biases, net.masks)):
        arrays[f"w_{i}"], arrays[f"b_{i}"], arrays[f"mask_{i}"] = w, b, m.astype(bool)
    if ticket.trained is not None:
        for i, (w, b) in enumerate(zip(*ticket.trained)):
            arrays[f"trained_w_{i}"], arrays[f"trained_b_{i}"] = w, b
    seed = ticket.seed
    meta = {"format": TICKET_FORMAT, "config": asdict(ticket.config),
            "seed": [int(s) for s in seed] if isinstance(seed, (list, tuple)) else int(seed),
            "data": ticket.data, "trainer": ticket.trainer, "loss": net.loss_name, "backend": net.backend,
            "result": ticket.result, "settings": ticket.settings}
    buf = io.BytesIO()
    np.savez_compressed(buf, ticket=np.array(json.dumps(meta)), **arrays)
    return _write_whole(path, buf.getvalue())


def _write_whole(path, data):
    """Write under a temporary name, then rename: a reader sees no file or the whole one."""
    path = Path(path)
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def load_ticket(path):
    """The ``Ticket`` saved at ``path``."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as f:
            meta = json.loads(str(f["ticket"]))
            arrays = {k: f[k] for k in f.files if k != "ticket"}
    except Exception as e:
        raise ResultsError(f"{path} is not a ticket file of lottery_np ({type(e).__name__}: {e})") from None
    if meta.get("format") != TICKET_FORMAT:
        raise ResultsError(f"{path} is a ticket of format {meta.get('format')}; this lottery_np reads {TICKET_FORMAT}")
    n = sum(1 for k in arrays if k.startswith("w_"))
    get = lambda name: [arrays[f"{name}_{i}"] for i in range(n)]  # noqa: E731
    net = MLP(get("w"), get("b"), masks=[m.astype(arrays["w_0"].dtype) for m in get("mask")], loss=meta["loss"],
              backend=meta["backend"])
    trained = (get("trained_w"), get("trained_b")) if "trained_w_0" in arrays else None
    return Ticket(net, TrainConfig(**meta["config"]), meta["seed"], meta["data"], meta["trainer"],
                  meta["result"], meta["settings"], trained)
