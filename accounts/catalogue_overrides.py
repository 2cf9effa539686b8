"""Messages of Django and allauth that our own catalogue (locale/) translates or corrects.

Django's and allauth's catalogues lack some of these in Dutch or Norwegian Bokmål, or have them wrong
(allauth's Dutch "Bevestigings e-mail" is one word). Listing the msgids here keeps them in our catalogue when
`makemessages` runs; LOCALE_PATHS comes before the packages' own catalogues, so ours win.
"""

from django.utils.translation import gettext_noop

OVERRIDES = (
    gettext_noop("- Select an option -"),  # Django 6.1's blank choice (BLANK_CHOICE_LABEL)
    gettext_noop("Confirmation email sent to %(email)s."),  # allauth; nl "Bevestigings e-mail"
)
