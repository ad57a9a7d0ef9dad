"""Shared helpers with no concrete models. Never imports from the five domain apps."""
