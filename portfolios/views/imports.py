"""imports pages (being built)."""

urlpatterns: list = []
