"""The errors lottery_np raises on bad input. Each message says what is wrong and what to do."""


class LotteryError(Exception):
    """Base class: anything lottery_np reports about its inputs."""


class ConfigError(LotteryError, ValueError):
    """A setting is unknown or out of range."""


class ShapeError(LotteryError, ValueError):
    """Arrays whose shapes do not fit together."""


class DataError(LotteryError, OSError):
    """A data file is missing, corrupt, truncated or has the wrong checksum."""


class ResultsError(LotteryError):
    """A results folder does not belong to this experiment."""


class MaskError(LotteryError, ValueError):
    """A mask with the wrong shape, or values other than 0 and 1."""
