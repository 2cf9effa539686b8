"""mydata pages (being built)."""

urlpatterns: list = []
