
"""Benchmark: the review coordinator's queue with 10,000 open cases (2,000 of them allocated), served by gunicorn
with production settings on PostgreSQL and loaded by wrk, next to a trivial signed-in view in the same run
(bench/harness.py says how). The queue reads one keyset page (25 rows) whatever the number of cases, so its
rate should not depend on it.

    .venv/bin/python bench/bench_queue.py [--cases 10000] [--seconds 5] [--rounds 3]

Data is created once per size in the benchmark database (DATABASE_URL, default `recert_bench`).
"""

import argparse
import datetime as dt
from typing import Any

import harness


def populate(cases: int) -> tuple[Any, Any]:
    """One CMI organisation with `cases` submitted dossiers, each with an open review case."""
    from django.utils import timezone

    from accounts.models import Membership, Organisation, User
    from accounts.tenancy import maintenance
    from dossiers.models import Dossier, Submission
    from portfolios.models import Certification
    from review.models import Allocation, Assessment, ReviewCase
    from schemes.services import scheme_adopt

    slug = f"bench-queue-{cases}"
    email = f"coordinator@{slug}.bench"
    with maintenance():
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is not None:
            return organisation, User.objects.get(email=email)
        print(f"Creating {cases:,} open review cases…", flush=True)
        organisation = Organisation.objects.create(slug=slug, name="Queue benchmark")
        coordinator = User.objects.create_user(email=email, password="x", first_name="C", last_name="Coordinator")
        Membership.objects.create(organisation=organisation, user=coordinator, is_admin=True)
        version = scheme_adopt(organisation=organisation, code="cmi-register-loopbaanprofessional", by=coordinator,
                               effective_from=dt.date(2020, 1, 1))
        assessors = User.objects.bulk_create([User(email=f"a{i}@{slug}.bench", first_name="A", last_name=str(i),
                                                   password="!") for i in range(20)])
        Membership.objects.bulk_create([Membership(organisation=organisation, user=a, is_assessor=True)
                                        for a in assessors])
        people = User.objects.bulk_create([User(email=f"p{i}@{slug}.bench", first_name="P", last_name=f"{i:05}",
                                                password="!") for i in range(cases)], batch_size=2000)
        Membership.objects.bulk_create([Membership(organisation=organisation, user=p, is_professional=True)
                                        for p in people], batch_size=2000)
        certifications = Certification.objects.bulk_create([
            Certification(organisation=organisation, holder=p, scheme_version=version, number=f"Q-{i:05}",
                          recertification_date=dt.date(2027, 6, 1)) for i, p in enumerate(people)], batch_size=2000)
        now = timezone.now()
        dossiers = Dossier.objects.bulk_create([
            Dossier(organisation=organisation, owner=c.holder, certification=c, scheme_version=version,
                    reference_date=dt.date(2027, 6, 1), status=Dossier.Status.SUBMITTED, submitted_at=now)
            for c in certifications], batch_size=2000)
        submissions = Submission.objects.bulk_create([
            Submission(organisation=organisation, dossier=d, scheme_version=version, submitted_by=d.owner,
                       submitted_at=now, snapshot={"owner": {"id": d.owner_id}}, snapshot_sha256=f"{d.pk:064}")
            for d in dossiers], batch_size=2000)
        review_cases = ReviewCase.objects.bulk_create([
            ReviewCase(organisation=organisation, submission=s, scheme_version=version, candidate_id=s.submitted_by_id,
                       candidate_name=f"P {i:05}", assessors_required=2, opened_at=now - dt.timedelta(minutes=i),
                       state=ReviewCase.State.IN_REVIEW if i % 5 == 0 else ReviewCase.State.OPEN)
            for i, s in enumerate(submissions)], batch_size=2000)
        allocations = Allocation.objects.bulk_create([
            Allocation(organisation=organisation, case=case, assessor=assessors[(i + k) % 20], position=k + 1,
                       allocated_at=now, due_on=dt.date.today() + dt.timedelta(days=21))
            for i, case in enumerate(review_cases) if i % 5 == 0 for k in range(2)], batch_size=2000)
        Assessment.objects.bulk_create([Assessment(organisation=organisation, allocation=a) for a in allocations],
                                       batch_size=2000)
    return organisation, coordinator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000, help="open review cases")
    harness.add_arguments(parser)
    args = parser.parse_args()
    environment = harness.setup()
    organisation, user = populate(args.cases)
    harness.measure(environment, [harness.Page(
        name=f"queue-{args.cases}", path=f"/{organisation.slug}/review/", user=user,
        label=f"review queue ({args.cases:,} open cases)", expect="queue-row")], args)


if __name__ == "__main__":
    main()
