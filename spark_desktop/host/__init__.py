"""The loaded models: one engine client each, the memory ledger, JIT load, idle unload.

The only owner of engine clients: the GUI, the CLI and the server ask the host for
a model. A second process on the same machine attaches to the running host
(`connect()`) instead of loading models again.
"""

from spark_desktop.host.catalog import ModelEntry
from spark_desktop.host.errors import (
    AbandonedError,
    DoesNotFitError,
    HostError,
    HostUnreachableError,
    ModelBusyError,
    QueueFullError,
    UnknownModelError,
)
from spark_desktop.host.host import HostSettings, Lease, ModelHost

__all__ = ["AbandonedError", "DoesNotFitError", "HostError", "HostSettings",
           "HostUnreachableError", "Lease", "ModelBusyError", "ModelEntry", "ModelHost",
           "QueueFullError", "UnknownModelError"]
