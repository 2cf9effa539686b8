"""statements pages (being built)."""

urlpatterns: list = []
