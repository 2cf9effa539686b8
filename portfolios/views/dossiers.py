"""dossiers pages (being built)."""

urlpatterns: list = []
