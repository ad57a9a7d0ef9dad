"""REST API of the compliance app (mounted at /api/v1/compliance/)."""
