"""The base of every typed error the core raises.

Each carries a sentence a person can act on; the CLI prints it and the GUI shows it.
"""


class SparkError(Exception):
    """An error whose message is meant for the person using the app."""
