"""What machine this is (probe) and what to plan for (named targets)."""

from spark_desktop.hardware.probe import GPU, Machine, parse_meminfo, parse_nvidia_smi, probe
from spark_desktop.hardware.targets import Pool, Target, TargetError, resolve_target

__all__ = ["GPU", "Machine", "Pool", "Target", "TargetError", "parse_meminfo",
           "parse_nvidia_smi", "probe", "resolve_target"]
