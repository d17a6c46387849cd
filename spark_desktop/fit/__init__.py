"""Memory-fit estimate and speed prediction (pure functions, no llama.cpp needed)."""

from spark_desktop.fit.estimate import (
    DepthSpeed,
    FitEstimate,
    PoolUse,
    Verdict,
    estimate,
    speeds_at,
)
from spark_desktop.fit.settings import KV_TYPES, LoadSettings, SettingsError, from_user_defaults

__all__ = ["KV_TYPES", "DepthSpeed", "FitEstimate", "LoadSettings", "PoolUse", "SettingsError",
           "Verdict", "estimate", "from_user_defaults", "speeds_at"]
