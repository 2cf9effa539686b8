"""Isolation-sweep registry for accounts (see tests/test_isolation_sweep.py)."""

from accounts.models import JoinRequest, Membership
from accounts.tenancy import maintenance
from tests import factories

PUBLIC = {
    "home", "healthz", "set_language", "organisation_logo", "brand_stylesheet",
    "account_login", "account_logout", "account_inactive", "account_signup", "account_confirm_login_code",
    "account_email_verification_sent", "account_confirm_email", "account_reset_password",
    "account_reset_password_done", "account_reset_password_from_key", "account_reset_password_from_key_done",
    "mfa_authenticate",
}
PERSONAL = {
    "profile", "join_request_create",
    "account_reauthenticate", "account_email", "account_change_password", "account_set_password",
    "mfa_index", "mfa_reauthenticate", "mfa_activate_totp", "mfa_deactivate_totp", "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes", "mfa_download_recovery_codes",
}
ORG_SCOPED = {
    "org_home": None,
    "members": None,
    "invitation_create": None,
    "organisation_settings": None,
    "audit_log": None,
    "join_requests": None,
    "join_request_decide": lambda w: {"pk": w.b["join_request"]},
    "member_edit": lambda w: {"pk": w.b["membership"]},
    "member_remove": lambda w: {"pk": w.b["membership"]},
    "invitation_resend": lambda w: {"pk": w.b["invitation"]},
    "invitation_revoke": lambda w: {"pk": w.b["invitation"]},
    "invitation_accept": lambda w: {"token": w.b["invitation_token"]},
}


def make_b_objects(world):
    invitation, token = factories.invitation(world.org_b, "invitee@example.com")
    membership = Membership.objects.get(organisation=world.org_b, user=world.b_user)
    with maintenance():
        asker = factories.user("asker@example.com")
        join_request = JoinRequest.objects.create(organisation=world.org_b, user=asker, message="Let me in")
    return {"membership": membership.pk, "invitation": invitation.pk, "invitation_token": token,
            "join_request": join_request.pk}
