"""The error every GGUF problem becomes: a sentence naming the file and what is wrong."""

from spark_desktop.errors import SparkError


class GGUFError(SparkError):
    """A GGUF file (or split set) cannot be read as a model llama.cpp would load."""
