"""The hooks the submission offers to apps above it: the signal inside the transaction, and review holds."""

from __future__ import annotations

import pytest

from dossiers import signals
from dossiers.models import Submission
from tests.test_submission import ready  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def test_signal_is_sent_once_inside_the_transaction_with_the_snapshot(ready, alice):  # noqa: F811
    from dossiers.services.submission import dossier_submit
    from tests.test_submission import reload

    dossier, _activities = ready
    seen = []

    def receiver(sender, submission, **kwargs):
        from django.db import connection

        seen.append((submission.pk, bool(submission.snapshot_sha256), connection.in_atomic_block))

    signals.submission_submitted.connect(receiver, dispatch_uid="test-hook")
    try:
        submission = dossier_submit(dossier=reload(dossier), by=alice)
    finally:
        signals.submission_submitted.disconnect(dispatch_uid="test-hook")
    assert seen == [(submission.pk, True, True)]


def test_review_holds_list_the_reasons_of_registered_rules():
    submission = Submission(pk=1)
    rule = signals.review_hold(lambda s: "not paid yet" if s.pk == 1 else None)
    try:
        assert signals.submission_holds(submission) == ["not paid yet"]
        assert signals.submission_holds(Submission(pk=2)) == []
        signals.review_hold(rule)  # registering twice keeps one
        assert signals.submission_holds(submission) == ["not paid yet"]
    finally:
        signals._review_holds.remove(rule)
