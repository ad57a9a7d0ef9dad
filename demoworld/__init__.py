"""Seeded demo-world generator: platform-native recordings plus ground truth (files only)."""

from demoworld.generate import WorldSummary, generate_world

__all__ = ["WorldSummary", "generate_world"]
