"""Memory-fit estimate and speed prediction (pure functions, no llama.cpp needed).

The settings an estimate assumes are inference_settings.LoadSettings, the engine's own.
"""

from spark_desktop.fit.estimate import FitEstimate, PoolUse, Verdict, estimate

__all__ = ["FitEstimate", "PoolUse", "Verdict", "estimate"]
