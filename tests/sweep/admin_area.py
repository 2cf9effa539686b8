"""Isolation-sweep registry for certifications, imports, compliance and "your data"."""

from accounts.tenancy import maintenance
from portfolios.models import ActivityImport, DeletionRequest
from tests import factories

PERSONAL: set[str] = set()
ORG_SCOPED = {
    "my_certifications": None,
    "certification_list": None,
    "certification_create": None,
    "certification_import": None,
    "certification_detail": lambda w: {"pk": w.b["admin_area_certification"]},
    "certification_edit": lambda w: {"pk": w.b["admin_area_certification"]},
    "certification_status": lambda w: {"pk": w.b["admin_area_certification"]},
    "activity_imports": None,
    "activity_import": None,
    "activity_import_detail": lambda w: {"pk": w.b["admin_area_import"]},
    "compliance": None,
    "compliance_export": None,
    "mydata": None,
    "mydata_export": None,
    "mydata_delete_request": None,
    "deletion_requests": None,
    "deletion_request_action": lambda w: {"pk": w.b["admin_area_deletion_request"]},
}


def make_b_objects(world):
    certification = factories.certification(world.org_b, world.b_user, number="B-ADMIN-AREA-1")
    with maintenance():
        record = ActivityImport.objects.create(organisation=world.org_b, uploaded_by=world.b_user,
                                               file_name="b.csv", sha256="0" * 64)
        request = DeletionRequest.objects.create(organisation=world.org_b, user=world.b_user,
                                                 user_email=world.b_user.email)
    return {"admin_area_certification": certification.pk, "admin_area_import": record.pk,
            "admin_area_deletion_request": request.pk}
