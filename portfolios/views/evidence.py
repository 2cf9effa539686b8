"""evidence pages (being built)."""

urlpatterns: list = []
