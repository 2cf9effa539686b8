from django.apps import AppConfig
from django.db.models import Q

from accounts.access import Access, register_rule, unregister_rule
from accounts.models import Role

ORGANISATION = "acme"


def assessors_read_dossiers(access: Access) -> Q | None:
    """An assessor of organisation `ORGANISATION` may read (not change) every dossier there."""
    if access.write or access.organisation.slug != ORGANISATION or not access.has_role(Role.ASSESSOR):
        return None
    return Q()


class AccessRuleAppConfig(AppConfig):
    name = "tests.access_rule_app"
    label = "access_rule_app"

    def ready(self) -> None:
        register_rule("dossier", assessors_read_dossiers)

    @staticmethod
    def remove() -> None:
        unregister_rule("dossier", assessors_read_dossiers)
