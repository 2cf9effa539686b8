from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = _("Certificates")

    def ready(self) -> None:
        """Certificates sit on top: they register with the apps below (the audit trail's wording; evidence
        visibility for decision makers)."""
        from accounts import audit
        from certificates import access, lifecycle, services
        from portfolios.lifecycle import register_prefetch, register_stage

        audit.register(services.AUDIT_ACTIONS)
        access.register_rules()
        register_prefetch(lifecycle.fetch_decisions)
        register_stage(lifecycle.advice_stage, order=50)
        register_stage(lifecycle.decided_stage, order=55)
        register_stage(lifecycle.certificate_stage, order=60)

    def seed_demo(self) -> None:
        """Called by `manage.py seed_demo` (inside maintenance): certificates in every state per organisation."""
        from certificates.demo import seed_certificates_demo

        seed_certificates_demo()

    def demo_logins(self) -> list[str]:
        """Lines `manage.py demo_logins` prints (inside maintenance): one verification link to try."""
        from certificates.demo import demo_verification_link

        link = demo_verification_link()
        return [f"  Verify a certificate (no account needed): {link}"] if link else []
