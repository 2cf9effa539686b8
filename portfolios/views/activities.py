"""activities pages (being built)."""

urlpatterns: list = []
