"""The professional's home: one card per certification (being built)."""

urlpatterns: list = []
