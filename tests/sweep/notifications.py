"""Isolation-sweep registry for reminders (the administrators' log, refused addresses, unsubscribe links).

`reminder_unsubscribe` is public (the link works without logging in), so it is in PUBLIC — the anonymous check
skips it — and also in ORG_SCOPED with a token made for org B, so the sweep checks that B's link under A's
address is a 404.
"""

from notifications.reminders import unsubscribe_token

PUBLIC = {"reminder_unsubscribe"}
ORG_SCOPED = {
    "reminder_log": None,
    "delivery_failures": None,
    "reminder_unsubscribe": lambda w: {"token": w.b["reminder_unsubscribe_token"]},
}


def make_b_objects(world):
    token = unsubscribe_token(organisation_id=world.org_b.pk, user_id=world.b_user.pk, code="submit-portfolio",
                              scheme="noloc-register-jobcoach")
    return {"reminder_unsubscribe_token": token}
