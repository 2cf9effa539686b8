"""certifications pages (being built)."""

urlpatterns: list = []
