"""compliance pages (being built)."""

urlpatterns: list = []
