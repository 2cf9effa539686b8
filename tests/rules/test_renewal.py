"""Certificates issued and renewed by rule (schemes/rules/renewal.py): every scheme's dates, from its data."""

from __future__ import annotations

import dataclasses

import pytest

from schemes.rules import (
    CertificateDates,
    DefinitionError,
    appeal_deadline,
    certificate_languages,
    certificate_policy,
    current_expiry,
    dump_definition,
    evaluate,
    first_dates,
    has_expired,
    lapse_consequence,
    load_definition,
    renewal_start,
    renewed_dates,
    series_extension_due,
    shipped_definitions,
)

from .support import act, context, day


def test_cmi_first_certificate_is_valid_three_years(cmi):
    dates = first_dates(cmi, decided_on=day("2026-03-10"))
    assert dates.expires_on == dates.recertification_date == day("2029-03-10")
    assert dates.issued_on == day("2026-03-10")


def test_cmi_renewal_decided_before_expiry_runs_from_the_previous_expiry(cmi):
    current = CertificateDates(issued_on=day("2023-06-01"), expires_on=day("2026-06-01"),
                               recertification_date=day("2026-06-01"))
    renewed = renewed_dates(cmi, current, decided_on=day("2026-05-20"))
    assert renewed.expires_on == renewed.recertification_date == day("2029-06-01")
    assert renewed.issued_on == day("2023-06-01")


def test_cmi_renewal_decided_on_the_expiry_day_still_runs_from_it(cmi):
    current = CertificateDates(expires_on=day("2026-06-01"), recertification_date=day("2026-06-01"))
    assert renewal_start(cmi, current, decided_on=day("2026-06-01")) == day("2026-06-01")


def test_cmi_renewal_decided_after_expiry_runs_from_the_decision(cmi):
    current = CertificateDates(expires_on=day("2026-06-01"), recertification_date=day("2026-06-01"))
    renewed = renewed_dates(cmi, current, decided_on=day("2026-07-15"))
    assert renewed.expires_on == day("2029-07-15")


def test_an_edited_start_date_wins(cmi):
    current = CertificateDates(expires_on=day("2026-06-01"), recertification_date=day("2026-06-01"))
    renewed = renewed_dates(cmi, current, decided_on=day("2026-07-15"), start=day("2026-06-02"))
    assert renewed.expires_on == day("2029-06-02")


def test_noloc_next_four_year_window_starts_at_the_recertification_date(noloc):
    current = CertificateDates(recertification_date=day("2026-09-01"))
    renewed = renewed_dates(noloc, current, decided_on=day("2026-08-01"))
    assert renewed.recertification_date == renewed.expires_on == day("2030-09-01")
    first = first_dates(noloc, decided_on=day("2026-01-05"))
    assert first.recertification_date == day("2030-01-05")


def test_peoplecert_first_expiry_is_three_years_after_the_exam(peoplecert):
    dates = first_dates(peoplecert, decided_on=day("2026-01-05"), exam_passed_on=day("2025-12-01"))
    assert dates.exam_passed_on == day("2025-12-01")
    assert dates.expires_on == day("2028-12-01")
    assert current_expiry(peoplecert, CertificateDates(exam_passed_on=day("2024-02-29"))) == day("2027-02-28")


def test_peoplecert_renewal_extends_the_expiry_by_three_years(peoplecert):
    current = CertificateDates(exam_passed_on=day("2023-04-30"), expires_on=day("2026-04-30"))
    assert renewed_dates(peoplecert, current, decided_on=day("2026-05-02")).expires_on == day("2029-04-30")


def _compliant_years(start_year: int, years: int) -> list:
    activities = []
    for offset in range(years):
        year = start_year + offset
        activities += [act("mentoring", f"{year}-06-01", 6), act("in-house-training", f"{year}-07-01", 15)]
    return activities


def test_peoplecert_three_compliant_years_earn_one_extension_once(peoplecert):
    report = evaluate(peoplecert, context("2026-05-10", exam_passed_on="2023-04-30"), _compliant_years(2023, 3))
    key = series_extension_due(peoplecert, report)
    assert key == day("2026-04-30")
    # The same run with its key granted earns nothing more; a fourth year alone does not either.
    assert series_extension_due(peoplecert, report, [key]) is None
    later = evaluate(peoplecert, context("2027-05-10", exam_passed_on="2023-04-30"), _compliant_years(2023, 4))
    assert series_extension_due(peoplecert, later, [key]) is None
    sixth = evaluate(peoplecert, context("2029-05-10", exam_passed_on="2023-04-30"), _compliant_years(2023, 6))
    assert series_extension_due(peoplecert, sixth, [key]) == day("2029-04-30")


def test_peoplecert_a_missed_year_breaks_the_chain(peoplecert):
    activities = [a for a in _compliant_years(2023, 3) if a.date.year != 2024]
    report = evaluate(peoplecert, context("2026-05-10", exam_passed_on="2023-04-30"), activities)
    assert series_extension_due(peoplecert, report) is None


def test_window_schemes_have_no_series_extension(noloc):
    report = evaluate(noloc, context("2026-05-10", recertification_date="2027-01-01"), [])
    assert series_extension_due(noloc, report) is None


def test_ccmg_keeps_the_designation_for_the_next_cycle(ccmg):
    first = first_dates(ccmg, decided_on=day("2025-01-01"))
    assert first.cycle_start == day("2025-01-01")
    assert first.expires_on == day("2027-12-31")
    renewed = renewed_dates(ccmg, first, decided_on=day("2027-11-01"))
    assert renewed.cycle_start == day("2028-01-01")
    assert renewed.expires_on == day("2030-12-31")


def test_a_missed_ccmg_cycle_puts_membership_at_risk(ccmg, cmi):
    assert lapse_consequence(ccmg) == "membership_at_risk"
    assert lapse_consequence(cmi) == "lapsed"


def test_valid_through_the_expiry_day():
    assert not has_expired(day("2026-06-01"), day("2026-06-01"))
    assert has_expired(day("2026-06-01"), day("2026-06-02"))
    assert not has_expired(None, day("2026-06-02"))


def test_appeal_window_default_and_from_the_scheme(cmi, noloc):
    assert appeal_deadline(noloc, day("2026-01-10")) == day("2026-02-09")
    edited = dataclasses.replace(cmi, certificate=dataclasses.replace(certificate_policy(cmi), appeal_days=14))
    assert appeal_deadline(edited, day("2026-01-10")) == day("2026-01-24")


def test_cmi_english_certificate_is_a_paid_extra(cmi, noloc):
    assert certificate_languages(cmi) == (("nl", None), ("en", "english-certificate"))
    assert certificate_languages(noloc) == (("nl", None),)
    assert certificate_policy(cmi).register_public
    assert not certificate_policy(shipped_definitions_loaded("peoplecert-cpd")).register_public


def shipped_definitions_loaded(code):
    return load_definition(shipped_definitions()[code])


def test_a_definition_without_a_certificate_block_gets_the_defaults():
    raw = shipped_definitions()["noloc-register-jobcoach"]
    del raw["certificate"]
    loaded = load_definition(raw)
    assert certificate_policy(loaded).appeal_days == 30
    assert "certificate" not in dump_definition(loaded)


@pytest.mark.parametrize(("change", "path"), [
    ({"paid_languages": [{"language": "en", "fee": "nope"}]}, "certificate.paid_languages[0].fee"),
    ({"paid_languages": [{"language": "en", "fee": "certification"}]}, "certificate.paid_languages[0].fee"),
    ({"paid_languages": [{"language": "nl", "fee": "english-certificate"}]},
     "certificate.paid_languages[0].language"),
    ({"languages": []}, "certificate.languages"),
    ({"appeal_days": 0}, "certificate.appeal_days"),
])
def test_certificate_settings_are_validated(change, path):
    raw = shipped_definitions()["cmi-register-loopbaanprofessional"]
    raw["certificate"].update(change)
    with pytest.raises(DefinitionError) as raised:
        load_definition(raw)
    assert path in {where for where, _reason in raised.value.errors}
