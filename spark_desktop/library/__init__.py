"""Models on this machine: the models folder, the HF cache, extra folders, imported files."""

from spark_desktop.library.manage import (
    ModelNotFoundError,
    RemoveRefusedError,
    find,
    import_file,
    remove,
    reveal,
)
from spark_desktop.library.model import LocalModel
from spark_desktop.library.scan import roots, scan

__all__ = ["LocalModel", "ModelNotFoundError", "RemoveRefusedError", "find", "import_file",
           "remove", "reveal", "roots", "scan"]
