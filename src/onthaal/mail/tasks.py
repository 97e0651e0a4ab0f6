"""Background work of the mail register (django-tasks; ``onthaal worker`` runs it)."""

from __future__ import annotations

from django_tasks import task

from onthaal.mail import documents
from onthaal.mail.models import Document


@task()
def process_document(document_id: int) -> str:
    """The rendition, thumbnail and text (OCR where needed) of one document."""
    document = Document.objects.filter(pk=document_id, destroyed_at__isnull=True).first()
    if document is None:
        return "gone"
    return documents.process_document(document).text_status
