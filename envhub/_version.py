"""The envhub version; lab-extension/package.json carries the same number."""

__version__ = "0.1.0"
