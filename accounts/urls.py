from django.urls import URLPattern, URLResolver, path

from accounts import views

# Site-wide pages (no organisation in the address).
urlpatterns = [
    path("", views.home, name="home"),
    path("profile/", views.profile, name="profile"),
    path("join/<slug:slug>/", views.join_request_create, name="join_request_create"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("healthz", views.healthz, name="healthz"),
    path("brand/<str:colour>.css", views.brand_stylesheet, name="brand_stylesheet"),
]

# Pages under /<org>/ (config/urls.py assembles /<org>/ from every app's list; this is the accounts app's).
org_urlpatterns: list[URLPattern | URLResolver] = [
    path("logo", views.organisation_logo, name="organisation_logo"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("manage/members/", views.members, name="members"),
    path("manage/members/<int:pk>/", views.member_edit, name="member_edit"),
    path("manage/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("manage/invitations/new/", views.invitation_create, name="invitation_create"),
    path("manage/invitations/<int:pk>/resend/", views.invitation_resend, name="invitation_resend"),
    path("manage/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("manage/settings/", views.organisation_settings, name="organisation_settings"),
    path("manage/join-requests/", views.join_requests, name="join_requests"),
    path("manage/join-requests/<int:pk>/", views.join_request_decide, name="join_request_decide"),
    path("manage/audit/", views.audit_log, name="audit_log"),
]
