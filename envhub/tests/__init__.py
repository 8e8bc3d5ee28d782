"""Tests of the envhub Python package (pytest)."""
