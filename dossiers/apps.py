from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossiersConfig(AppConfig):
    name = "dossiers"
    verbose_name = _("Dossiers")

    def ready(self) -> None:
        """Register the audit trail's wording for evidence, dossiers, statements, submissions and my data, and the
        dossier's access rules."""
        from accounts import audit
        from dossiers.access import register_rules
        from dossiers.models import Dossier
        from dossiers.services import dossiers, evidence, mydata, resubmission, statements, submission
        from portfolios.lifecycle import register_prefetch

        for module in (evidence, mydata, dossiers, statements, submission, resubmission):
            audit.register(module.AUDIT_ACTIONS)
        audit.register({}, value_labels={"recertification": _("recertification"),
                                         "initial": _("initial certification")})
        register_rules()
        register_prefetch(Dossier.prime_reopened)  # the cards' "information requested" stage asks no query
