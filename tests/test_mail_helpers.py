"""Mail written once (accounts/mail.py): the recipient's language, absolute links, rendering and sending."""

from types import SimpleNamespace

import pytest
from django.test import RequestFactory
from django.utils import translation

from accounts.mail import absolute_url, mail_render, mail_send, recipient_language, site_url
from accounts.models import Organisation, User

DELETION_REFUSED = "dossiers/mydata/email/deletion_refused"


def test_links_on_site_url_or_the_visitors_host(settings):
    settings.SITE_URL = "https://portal.example/"
    settings.ALLOWED_HOSTS = ["cpd.acme.example"]
    assert absolute_url("/acme/") == "https://portal.example/acme/"
    assert site_url("dossier_list", org="acme") == "https://portal.example/acme/dossiers/"
    request = RequestFactory().get("/", HTTP_HOST="cpd.acme.example")
    assert absolute_url("/acme/", request) == "http://cpd.acme.example/acme/"


def test_recipient_language(settings):
    organisation = Organisation(default_language="nb")
    assert recipient_language(User(preferred_language="nl"), organisation) == "nl"
    assert recipient_language(User(preferred_language=""), organisation) == "nb"
    assert recipient_language(None, organisation) == "nb"
    assert recipient_language(None, None) == settings.LANGUAGE_CODE == "en"


def test_mail_render_in_the_current_language_with_the_subject_on_one_line():
    context = {"organisation": SimpleNamespace(name="Acme"), "deletion": SimpleNamespace(note="Retained.")}
    with translation.override("nl"):
        mail = mail_render(DELETION_REFUSED, context)
    assert mail.subject == "Je verwijderverzoek bij Acme"
    assert "Retained." in mail.body
    assert mail.html is None


@pytest.mark.django_db
def test_mail_send_renders_in_the_recipients_language_and_sends_one_mail_per_address(
        org_a, mailoutbox, django_capture_on_commit_callbacks):
    built_in = []

    def context():
        built_in.append(translation.get_language())
        return {"organisation": org_a, "deletion": SimpleNamespace(note="Retained.")}

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        mail = mail_send(to=["a@example.com", "b@example.com"], template=DELETION_REFUSED, language="nl",
                         context=context, organisation=org_a, headers={"Reply-To": "c@example.com"})
    assert built_in == ["nl"]
    assert mail.subject == f"Je verwijderverzoek bij {org_a.name}"
    assert [message.to for message in mailoutbox] == [["a@example.com"], ["b@example.com"]]
    assert {message.subject for message in mailoutbox} == {mail.subject}
    assert mailoutbox[0].extra_headers.get("Reply-To") == "c@example.com"
