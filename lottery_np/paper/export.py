"""One finished training of a results folder as a ``lottery_np.Ticket`` (``lottery-np export``).

``lottery_np.tickets`` is the algorithm's file format (a network, its settings and its result); this
module rebuilds one from a paper experiment: its starting network, its seeds and data settings, its
trained weights if the folder kept them.
"""
from ..errors import ResultsError
from ..tickets import Ticket
from .experiments import Unit, identity, inputs_for, order_seed, starting_network
from .folders import open_existing


def ticket_of(path, unit):
    """The ``lottery_np.Ticket`` of one finished training of an experiment folder: the network as it
    started training (θ0 for a ticket, a control's own weights), its settings and seeds, its result,
    and its trained weights if they were kept."""
    folder = open_existing(path)
    cfg = folder.config
    if not folder.done(unit):
        raise ResultsError(f"{path} has no finished training {unit.id}")
    record, arrays = folder.load(unit, arrays=True)
    level_ticket = Unit(unit.level, "ticket", unit.trial)
    masks = None
    if unit.level and folder.done(level_ticket):  # a level's units all start from its ticket's masks
        own = arrays if unit.kind == "ticket" else folder.load(level_ticket, arrays=True)[1]
        masks = [own[f"mask_{i}"] for i in range(len(cfg.sizes) - 1)] if "mask_0" in own else None
    inputs = inputs_for(cfg, unit, lambda s: folder.load(s, arrays=True)[1], masks=masks)
    if masks is not None:
        inputs.update({f"mask_{i}": m for i, m in enumerate(masks)})
    net = starting_network(cfg, unit, inputs)
    history = record.get("history") or {}
    train_config = cfg.train_config(bool(history.get("test_acc")) and None not in history["test_acc"])
    n = len(cfg.sizes) - 1
    trained = ([arrays[f"trained_w_{i}"] for i in range(n)], [arrays[f"trained_b_{i}"] for i in range(n)]) \
        if "trained_w_0" in arrays else None
    result = {k: record.get(k) for k in ("convergence_iteration", "test_accuracy", "min_val_loss", "diverged",
                                         "percent_remaining", "engine")}
    settings = {**identity(cfg, unit), "experiment": cfg.experiment, "level": unit.level, "folder": str(path),
                "key": folder.key(unit)}
    seed = [int(v) for v in order_seed(cfg, unit.trial).entropy]
    trainer = "fused" if record.get("engine", "fused") == "fused" else "readable"
    return Ticket(net, train_config, seed, cfg.data(), trainer, result, settings, trained)
