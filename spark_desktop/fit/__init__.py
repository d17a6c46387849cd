"""Memory-fit estimate and speed prediction (pure functions, no llama.cpp needed).

The settings an estimate assumes are inference_settings.LoadSettings, the engine's own.
"""

from spark_desktop.fit.estimate import (
    DepthSpeed,
    FitEstimate,
    PoolUse,
    Verdict,
    estimate,
    speeds_at,
)

__all__ = ["DepthSpeed", "FitEstimate", "PoolUse", "Verdict", "estimate", "speeds_at"]
