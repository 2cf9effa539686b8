"""Countries an invoice party may be in (ISO 3166-1 alpha-2), and which of them are in the EU VAT area.

A short list on purpose: the EU member states (reverse charge applies between them) and the neighbours the
organisations deal with. Greece's VAT numbers start with EL, not its ISO code GR.
"""

from django.utils.translation import gettext_lazy as _

EU = {
    "AT": _("Austria"), "BE": _("Belgium"), "BG": _("Bulgaria"), "HR": _("Croatia"), "CY": _("Cyprus"),
    "CZ": _("Czechia"), "DK": _("Denmark"), "EE": _("Estonia"), "FI": _("Finland"), "FR": _("France"),
    "DE": _("Germany"), "GR": _("Greece"), "HU": _("Hungary"), "IE": _("Ireland"), "IT": _("Italy"),
    "LV": _("Latvia"), "LT": _("Lithuania"), "LU": _("Luxembourg"), "MT": _("Malta"), "NL": _("Netherlands"),
    "PL": _("Poland"), "PT": _("Portugal"), "RO": _("Romania"), "SK": _("Slovakia"), "SI": _("Slovenia"),
    "ES": _("Spain"), "SE": _("Sweden"),
}
OTHER = {"NO": _("Norway"), "GB": _("United Kingdom"), "CH": _("Switzerland"), "IS": _("Iceland"),
         "US": _("United States")}
VAT_PREFIX = {"GR": "EL"}


def country_choices() -> list[tuple[str, str]]:
    names = {**EU, **OTHER}
    return sorted(((code, str(name)) for code, name in names.items()), key=lambda item: item[1])


def country_name(code: str) -> str:
    return str({**EU, **OTHER}.get(code, code))


def in_eu(code: str) -> bool:
    return code in EU
