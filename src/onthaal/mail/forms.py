"""Forms of the mail pages: field checks only; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from onthaal.mail.models import Channel, Direction, DocumentType, Status
from onthaal.mail.services import MAX_GRANT_DAYS, AnswerKind
from onthaal.organisation.models import Department, Organisation

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [f for f in files if f]


def handlers() -> Any:
    return get_user_model().objects.filter(is_active=True).order_by("username")


def _users(field: Any, queryset: Any = None) -> None:
    """Colleagues by user name (staff screens show user names, not full names)."""
    choice: forms.ModelChoiceField[Any] = field
    if queryset is not None:
        choice.queryset = queryset
    choice.label_from_instance = lambda user: user.get_username()  # type: ignore[method-assign, assignment]


class IntakeForm(forms.Form):
    scans = MultipleFileField(
        label=_("Scans or files"),
        required=False,
        help_text=_("PDF, images, Word or e-mail (.eml); several at once."),
    )
    one_item = forms.BooleanField(
        label=_("All files are pages of one letter"),
        required=False,
        help_text=_("Otherwise each file becomes an item of its own."),
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.order_by("name"), required=False
    )
    document_type = forms.ModelChoiceField(
        label=_("Document type"), queryset=DocumentType.objects.order_by("name"), required=False
    )
    channel = forms.ChoiceField(label=_("Received by"), choices=Channel.choices)
    received_on = forms.DateField(label=_("Received on"), widget=DATE, required=False)
    correspondent = forms.CharField(label=_("Sender"), max_length=200, required=False)
    correspondent_email = forms.EmailField(label=_("Sender's e-mail"), required=False)
    subject = forms.CharField(label=_("Subject"), max_length=300, required=False)
    handler = forms.ModelChoiceField(label=_("Handler"), queryset=handlers(), required=False)
    note = forms.CharField(label=_("Note for the handler"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _users(self.fields["handler"], handlers())


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200, required=False)
    direction = forms.ChoiceField(
        label=_("Direction"), choices=[("", _("all")), *Direction.choices], required=False
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.order_by("name"),
        required=False,
        empty_label=_("all"),
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("all")), *Status.choices], required=False
    )
    document_type = forms.ModelChoiceField(
        label=_("Document type"),
        queryset=DocumentType.objects.order_by("name"),
        required=False,
        empty_label=_("all"),
    )
    start = forms.DateField(label=_("Registered from"), widget=DATE, required=False)
    end = forms.DateField(label=_("Registered until"), widget=DATE, required=False)
    page = forms.IntegerField(min_value=1, max_value=100_000, required=False)

    def __init__(self, *args: Any, departments: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if departments is not None:
            field: forms.ModelChoiceField[Any] = self.fields["department"]  # type: ignore[assignment]
            field.queryset = departments


class AssignForm(forms.Form):
    handler = forms.ModelChoiceField(label=_("Handler"), queryset=handlers())
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args: Any, department: Department | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        queryset = handlers()
        if department is not None:
            queryset = queryset.filter(memberships__department=department).distinct()
        _users(self.fields["handler"], queryset)


class AnswerForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Answer with"),
        choices=[
            (AnswerKind.LETTER, _("a letter from the template")),
            (AnswerKind.EMAIL, _("an e-mail")),
            (AnswerKind.UPLOAD, _("a document I add")),
        ],
        widget=forms.RadioSelect,
        initial=AnswerKind.LETTER,
    )
    subject = forms.CharField(label=_("Subject"), max_length=300)
    body = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 8}), required=False
    )
    email_to = forms.EmailField(label=_("E-mail address"), required=False)
    attachments = MultipleFileField(label=_("Document"), required=False)


class GrantForm(forms.Form):
    grantee = forms.ModelChoiceField(label=_("Colleague"), queryset=handlers())
    reason = forms.CharField(label=_("Reason"), max_length=300)
    days = forms.IntegerField(label=_("Days"), min_value=1, max_value=MAX_GRANT_DAYS, initial=7)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _users(self.fields["grantee"])


class BulkAssignForm(forms.Form):
    items = forms.CharField(widget=forms.MultipleHiddenInput, required=False)
    handler = forms.ModelChoiceField(label=_("Assign the selected items to"), queryset=handlers())
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _users(self.fields["handler"])


class RetentionProposeForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.order_by("pk"), empty_label=None
    )
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from onthaal.core import clock

        super().__init__(*args, **kwargs)
        self.fields["year"].initial = clock.today().year
