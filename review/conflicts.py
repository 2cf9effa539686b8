"""Automatic conflicts of interest: reasons an assessor may not assess a case, read from the frozen snapshot.

- `candidate`: the assessor is the candidate;
- `signed_statement`: the assessor signed (or was asked to sign) a statement in the dossier;
- `mentor`: the assessor is named as the candidate's mentor or supervisor in the dossier;
- `relationship`: the assessor declared a relationship with the candidate, or with an employer the dossier
  names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

from review.models import Relationship

REASONS = {
    "candidate": _("the assessor is the candidate"),
    "signed_statement": _("the assessor signed a statement in the dossier"),
    "mentor": _("the assessor is the candidate's mentor or supervisor"),
    "relationship": _("the assessor declared a relationship with the candidate or their employer"),
}
MENTOR_WORDS = ("mentor", "supervisor", "begeleider", "veileder")


def _norm(text: Any) -> str:
    return " ".join(str(text or "").split()).casefold()


def _texts(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def mentor_texts(snapshot: dict[str, Any]) -> list[str]:
    """What the dossier says about the candidate's mentors and supervisors (fields, signers, answers)."""
    found: list[str] = []
    for statement in snapshot.get("statements", []):
        about_mentor = any(word in _norm(statement.get("signer_role")) or word in _norm(statement.get("requirement"))
                           for word in MENTOR_WORDS)
        for item in statement.get("fields", []):
            if any(word in _norm(item.get("code")) for word in MENTOR_WORDS):
                found.extend(_texts(item.get("value")))
        if about_mentor:
            found += [statement.get("signer_name") or "", statement.get("signer_email") or "",
                      statement.get("signed_name") or ""]
    for section in snapshot.get("sections", []):
        for requirement in section.get("requirements", []):
            for question in requirement.get("questions", []) or []:
                if any(word in _norm(question.get("code")) for word in MENTOR_WORDS):
                    found.extend(_texts(question.get("answer")))
    return [_norm(text) for text in found if _norm(text)]


def automatic_conflicts(snapshot: dict[str, Any], assessor: Any, relationships: Iterable[Relationship]) -> list[str]:
    """The codes (keys of REASONS) of every automatic conflict between the assessor and this snapshot."""
    found: list[str] = []
    name, email = _norm(assessor.get_full_name()), _norm(assessor.email)
    owner = snapshot.get("owner", {})
    if owner.get("id") == assessor.pk or _norm(owner.get("email")) == email:
        found.append("candidate")
    signers = {_norm(s.get(key)) for s in snapshot.get("statements", []) for key in
               ("signer_email", "signer_name", "signed_name")}
    if email in signers or (name and name in signers):
        found.append("signed_statement")
    mentors = mentor_texts(snapshot)
    if any(email in text or (name and name == text) for text in mentors):
        found.append("mentor")
    candidate_name, candidate_email = _norm(owner.get("name")), _norm(owner.get("email"))
    dossier_text = _norm(" ".join(_texts([snapshot.get("sections", []), snapshot.get("statements", [])])))
    for relation in relationships:
        if relation.kind == Relationship.Kind.PERSON:
            if (relation.email and _norm(relation.email) == candidate_email) or _norm(relation.name) == candidate_name:
                found.append("relationship")
                break
        elif _norm(relation.name) and _norm(relation.name) in dossier_text:
            found.append("relationship")
            break
    return found
