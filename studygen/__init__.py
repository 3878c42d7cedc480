"""studygen: turn a folder of YAML study content into a publishable course."""

__version__ = "0.1.0"
