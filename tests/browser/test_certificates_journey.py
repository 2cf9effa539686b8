"""Issue 11's journeys in a real browser, with a throwaway advice source standing in for the review app:

1. CMI: the advice is in → DNV GL's decision maker grants → the certificate PDF carries a QR code whose link
   verifies in a second, anonymous browser context;
2. the same certificate suspended → the public register and the verification page change at once;
3. Noloc: a refusal → the candidate appeals (on a phone) → upheld by a decision maker who took no part.
"""

import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.tenancy import maintenance
from certificates import hooks
from certificates.models import Appeal
from tests import factories
from tests.browser.test_professional_journeys import sign_in
from tests.certificates_helpers import ThrowawayAdvice, submission

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"viewport": {"width": 390, "height": 844}}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def advice():
    source = ThrowawayAdvice()
    hooks.register_advice_source(source)
    yield source
    hooks.unregister_advice_source(source)


def qr_link(pdf: Path) -> str:
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(pdf.with_suffix(""))], check=True)
    found = subprocess.run(["zbarimg", "--quiet", "--raw", str(pdf.with_suffix(".png"))], capture_output=True,
                           text=True, check=True)
    return found.stdout.strip()


def test_cmi_decision_certificate_qr_verifies_then_suspension_shows_at_once(new_page, advice, tmp_path,
                                                                              live_server):
    with maintenance():
        cmi = factories.organisation(slug="cmi", name="CMI")
        alice = factories.member(cmi, "alice@example.com", "professional", first_name="Alice", last_name="Jansen")
        ash = factories.member(cmi, "ash@example.com", "assessor", first_name="Ash", last_name="Assessor")
        factories.member(cmi, "dana@example.com", "decision_maker", first_name="Dana", last_name="Decider")
        certification = factories.certification(cmi, alice, "cmi-register-loopbaanprofessional", number="CMI-0001")
    case = submission(certification, scope=["career-coaching"])
    advice.advise(case, "grant", assessors=[ash])

    page = new_page()
    sign_in(page, "dana@example.com")
    page.goto("/cmi/decisions/")
    page.get_by_role("link", name="Alice Jansen").click()
    expect(page.get_by_text("The dossier meets the norm.")).to_be_visible()
    expect(page.get_by_text("by Ash Assessor")).to_be_visible()
    page.get_by_label("Granted").check()
    page.get_by_label("Reasons").fill("The dossier meets the CMI norm on every part.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("The decision is recorded")).to_be_visible()

    page.goto("/cmi/manage/certificates/")
    page.get_by_role("link", name="Alice Jansen").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Dutch").click()
    pdf = tmp_path / "certificate.pdf"
    download.value.save_as(pdf)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "CMI-0001" in text
    assert "Alice Jansen" in text
    link = qr_link(pdf)
    assert link.startswith(f"{live_server.url}/verify/")

    visitor = new_page()  # a second, anonymous browser context: no account, no cookies
    visitor.goto(link)
    expect(visitor.get_by_role("heading", name=re.compile("This certificate is valid"))).to_be_visible()
    expect(visitor.get_by_text("Alice Jansen")).to_be_visible()
    expect(visitor.get_by_text("Loopbaancoaching").or_(visitor.get_by_text("Career coaching"))).to_be_visible()
    visitor.goto("/cmi/register/")
    expect(visitor.get_by_role("cell", name="CMI-0001")).to_be_visible()

    # Suspended: the register and the verification page change at once.
    page.get_by_role("link", name="Suspend").click()
    page.get_by_label("Reason").fill("A complaint is being investigated.")
    page.get_by_label("Suspended until").fill("2099-01-31")
    page.get_by_role("button", name="Suspend").click()
    expect(page.get_by_text("The certificate is suspended.")).to_be_visible()
    visitor.reload()
    expect(visitor.get_by_text("Nobody in the register matches.")).to_be_visible()
    visitor.goto(link)
    expect(visitor.get_by_role("heading", name=re.compile("This certificate is suspended"))).to_be_visible()


def test_noloc_refusal_appeal_upheld_by_someone_not_involved(new_page, advice, tmp_path):
    with maintenance():
        noloc = factories.organisation(slug="noloc", name="Noloc")
        alice = factories.member(noloc, "alice@example.com", "professional", first_name="Alice", last_name="Jansen")
        ash = factories.member(noloc, "ash@example.com", "assessor", first_name="Ash", last_name="Assessor")
        factories.member(noloc, "dana@example.com", "decision_maker", first_name="Dana", last_name="Decider")
        factories.member(noloc, "erin@example.com", "decision_maker", first_name="Erin", last_name="Other")
        certification = factories.certification(noloc, alice, number="NOLOC-0042")
    case = submission(certification)
    advice.advise(case, "refuse", assessors=[ash])

    dana = new_page()
    sign_in(dana, "dana@example.com")
    dana.goto(f"/noloc/decisions/{case.pk}/")
    dana.get_by_label("Refused").check()
    dana.get_by_label("Reasons").fill("The reflection report (A3.2) does not refer to the professional profile.")
    dana.get_by_role("button", name="Record the decision").click()
    expect(dana.get_by_text("The decision is recorded")).to_be_visible()

    candidate = new_page(**PHONE)
    sign_in(candidate, "alice@example.com")
    candidate.goto("/noloc/certificates/")
    expect(candidate.get_by_text("does not refer to the professional profile")).to_be_visible()
    candidate.get_by_role("link", name=re.compile("Appeal")).click()
    candidate.get_by_label("Grounds of your appeal").fill("Section 3 of my report refers to part 2 of the profile.")
    evidence = tmp_path / "letter.pdf"
    evidence.write_bytes(PDF)
    candidate.get_by_label("Supporting files (optional)").set_input_files(str(evidence))
    candidate.get_by_role("button", name="File the appeal").click()
    expect(candidate.get_by_text("Your appeal is filed.")).to_be_visible()
    assert candidate.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    with maintenance():
        appeal = Appeal.objects.get(decision__submission_id=case.pk)
    dana.goto(f"/noloc/appeals/{appeal.pk}/")
    expect(dana.get_by_text("You took the decision appealed against")).to_be_visible()
    expect(dana.get_by_role("button", name="Record the outcome")).to_have_count(0)

    erin = new_page()
    sign_in(erin, "erin@example.com")
    erin.goto("/noloc/appeals/")
    erin.get_by_role("link", name="Alice Jansen").click()
    expect(erin.get_by_role("link", name="letter.pdf")).to_be_visible()
    erin.get_by_label("Upheld: the refusal is set aside").check()
    erin.get_by_label("Reasons").fill("The report does refer to the profile; the refusal is set aside.")
    erin.get_by_role("button", name="Record the outcome").click()
    expect(erin.get_by_text("The appeal is decided")).to_be_visible()
    # The case is back for a new decision; the candidate reads the outcome.
    erin.goto("/noloc/decisions/")
    expect(erin.get_by_role("link", name="Alice Jansen").first).to_be_visible()
    candidate.goto("/noloc/certificates/")
    expect(candidate.get_by_text(re.compile("Your appeal: Upheld"))).to_be_visible()
