"""A throwaway app for tests/test_access.py: it adds an access rule from its AppConfig.ready, as a real app does."""
