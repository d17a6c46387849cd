"""Spark Desktop: a private, local AI workstation for the DGX Spark and any Linux box."""

__version__ = "0.1.0"
