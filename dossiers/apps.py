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
        from dossiers.services import dossiers, evidence, mydata, resubmission, statements, submission

        for module in (evidence, mydata, dossiers, statements, submission, resubmission):
            audit.register(module.AUDIT_ACTIONS)
        audit.register({}, value_labels={"recertification": _("recertification"),
                                         "initial": _("initial certification")})
        register_rules()
