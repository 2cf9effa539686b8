from django.urls import path

from schemes import views

# Under /<org>/manage/schemes/ (see config/urls.py).
urlpatterns = [
    path("", views.scheme_list, name="scheme_list"),
    path("adopt/", views.scheme_adopt, name="scheme_adopt"),
    path("import/", views.scheme_import, name="scheme_import"),
    path("<slug:code>/", views.scheme_detail, name="scheme_detail"),
    path("<slug:code>/edit/", views.scheme_edit, name="scheme_edit"),
    path("<slug:code>/edit/json/", views.scheme_edit_json, name="scheme_edit_json"),
    path("<slug:code>/previews/<int:pk>/", views.scheme_preview, name="scheme_preview"),
    path("<slug:code>/versions/<int:version>/export/", views.scheme_export, name="scheme_export"),
]
