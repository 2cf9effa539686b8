"""The fee format's billing settings: validated by the engine's definition validator, edited in the scheme editor."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from django.urls import reverse

from accounts.tenancy import maintenance
from schemes import rules
from schemes.models import SchemeVersion
from schemes.services import scheme_adopt

CMI = "cmi-register-loopbaanprofessional"


def cmi_raw():
    return copy.deepcopy(rules.shipped_definitions()[CMI])


def errors_of(raw):
    with pytest.raises(rules.DefinitionError) as caught:
        rules.load_definition(raw)
    return dict(caught.value.errors)


def test_the_shipped_definition_round_trips_with_the_new_keys():
    raw = cmi_raw()
    assert rules.dump_definition(rules.load_definition(raw)) == raw


def test_a_definition_without_billing_settings_still_loads_and_stays_canonical():
    raw = cmi_raw()
    for fee in raw["fees"]:
        del fee["billing"], fee["vat_category"]
    raw["notes"] = [note for note in raw["notes"] if not note["path"].startswith("fees")]
    loaded = rules.load_definition(raw)
    assert all(fee.billing is None and fee.vat_category is None for fee in loaded.fees)
    assert rules.dump_definition(loaded) == raw  # keys written only when set


@pytest.mark.parametrize(("change", "path", "message"), [
    (lambda fees: fees[0]["billing"].update(on="weekly"), "fees[0].billing.on", "Must be one of"),
    (lambda fees: fees[0]["billing"].update(review_after_payment=True), "fees[0].billing.review_after_payment",
     "Only a fee billed on submission"),
    (lambda fees: fees[2].update(reference_date=None), "fees[2].reference_date", "needs its reference date"),
    (lambda fees: fees[2].update(per="once"), "fees[2].billing.on", 'must be "per": "year"'),
    (lambda fees: fees[4].update(vat_category="zero"), "fees[4].vat_rate", "its rate must be 0"),
    (lambda fees: fees[4].update(vat_category="luxury"), "fees[4].vat_category", "Must be one of"),
    (lambda fees: fees[1]["billing"].update(extra=1), "fees[1].billing.extra", "not part of the definition"),
])
def test_bad_billing_settings_are_refused_with_their_path(change, path, message):
    raw = cmi_raw()
    change(raw["fees"])
    errors = errors_of(raw)
    assert path in errors, errors
    assert message in errors[path]


def test_the_scheme_editor_edits_what_bills_a_fee_and_its_vat_category(client, org_a, ada):
    with maintenance():
        version = scheme_adopt(organisation=org_a, code=CMI, by=ada, effective_from=dt.date(2020, 1, 1))
    client.force_login(ada)
    edit = reverse("scheme_edit", kwargs={"org": org_a.slug, "code": CMI})
    page = client.get(edit).content.decode()
    assert 'name="fees[1].billing.review_after_payment"' in page
    assert 'name="fees[4].vat_category"' in page
    assert "when a recertification dossier is submitted" in page
    bad = client.post(edit, {"fees[1].billing.on": "certification", "effective_from": "2027-01-01",
                             "action": "preview"})
    assert bad.status_code == 422
    assert "Only a fee billed on submission can hold the review" in bad.content.decode()
    saved = client.post(edit, {"fees[1].billing.review_after_payment": "false", "fees[4].vat_category": "standard",
                               "effective_from": "2027-01-01", "change_note": "Board", "action": "save"})
    assert saved.status_code == 302
    with maintenance():
        v2 = SchemeVersion.objects.get(organisation=org_a, code=CMI, version=2)
    assert v2.definition["fees"][1]["billing"] == {"on": "submission", "review_after_payment": False}
    assert v2.definition["fees"][4]["vat_category"] == "standard"
    version.refresh_from_db()
    assert version.definition["fees"][1]["billing"]["review_after_payment"] is True  # saved versions never change
