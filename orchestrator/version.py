"""The library's version, in one place (the package metadata reads it too)."""

__all__ = ["__version__"]

__version__ = "0.1.0"
