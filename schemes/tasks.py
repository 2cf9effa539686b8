"""Background work for schemes: the scheme-change preview, evaluated in chunks (schemes.services)."""

from __future__ import annotations

from celery import shared_task

from accounts.tenancy import tenant_context


@shared_task(acks_late=True)
def scheme_preview_run(organisation_id: int, preview_id: int, token: str) -> int:
    """Run a preview to its end, one chunk per transaction, so the page's progress bar moves after each chunk.

    Returns the number of chunks evaluated. Stops early when the preview was replaced by a newer one (its
    token no longer matches) or deleted (a version was saved). Run twice (a redelivery), the second run
    continues from the last recorded chunk: a chunk is recorded in the transaction that evaluated it.
    """
    from schemes import services

    chunks = 0
    try:
        while True:
            with tenant_context(organisation_id):
                if not services.scheme_preview_step(organisation=organisation_id, preview_id=preview_id, token=token):
                    return chunks
            chunks += 1
    except Exception:
        with tenant_context(organisation_id):
            services.scheme_preview_failed(organisation=organisation_id, preview_id=preview_id, token=token)
        raise
