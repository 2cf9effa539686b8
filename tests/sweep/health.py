"""Isolation-sweep registry for the health page."""

ORG_SCOPED = {"health": None}
