"""Memory-fit estimate and speed prediction (pure functions, no llama.cpp needed)."""

from spark_desktop.fit.estimate import FitEstimate, PoolUse, Verdict, estimate
from spark_desktop.fit.settings import KV_TYPES, LoadSettings, SettingsError, from_user_defaults

__all__ = ["KV_TYPES", "FitEstimate", "LoadSettings", "PoolUse", "SettingsError", "Verdict",
           "estimate", "from_user_defaults"]
