"""The citizen's e-loket: the products, a product's page, its form (with a proof of work and
rate limits, as bookings), the "received" page with what to pay, the status page behind the
link (messages, answering while we wait for the citizen, the document's download)."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from onthaal.appointments import proof
from onthaal.core import client, oidc
from onthaal.core.errors import DomainError, NotFound
from onthaal.eloket import identity, ogm, payment, services
from onthaal.eloket.models import ProductSettings, Request, RequestMessage, Status

MAX_QUERY = 100


def _offered() -> Any:
    return (
        ProductSettings.objects.filter(active=True, product__active=True)
        .filter(product__eloket_form__versions__published=True)
        .select_related("product", "product__department")
        .distinct()
        .order_by("product__name_nl")
    )


def index(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY]
    offers = _offered()
    if query:
        offers = offers.filter(
            Q(product__name_nl__icontains=query)
            | Q(product__name_fr__icontains=query)
            | Q(product__name_en__icontains=query)
            | Q(product__description_nl__icontains=query)
        )
    return render(request, "eloket/index.html", {"offers": list(offers), "query": query})


def _offer(slug: str) -> ProductSettings:
    return get_object_or_404(_offered(), product__slug=slug)


def product(request: HttpRequest, slug: str) -> HttpResponse:
    offer = _offer(slug)
    return render(request, "eloket/product.html", {"offer": offer, "product": offer.product})


def _uploads(request: HttpRequest, keys: set[str]) -> list[services.Upload]:
    found: list[services.Upload] = []
    for key in request.FILES:
        for upload in request.FILES.getlist(key)[: services.MAX_FILES + 1]:
            if isinstance(upload, UploadedFile):
                data = upload.read(services.MAX_UPLOAD_BYTES + 1)
                if not data and not upload.name:
                    continue
                found.append(services.Upload(field=key, filename=upload.name or "file", data=data))
    return found


NAME_KEYS = ("name", "naam", "full_name")


def _form_context(
    offer: ProductSettings,
    values: dict[str, Any],
    errors: dict[str, Any],
    login: identity.Identity | None = None,
) -> dict[str, Any]:
    version = services.current_version(offer.product)
    fields = list(version.fields.order_by("position"))
    if login is not None:
        # Prefilled from the login: the name (the citizen may correct it) and the national
        # register number (read-only: filing takes the login's number anyway).
        values = dict(values)
        for field in fields:
            if field.kind == "national_number":
                values[field.key] = login.national_number
            elif field.kind == "text" and field.key in NAME_KEYS and not values.get(field.key):
                values[field.key] = login.name
    return {
        "offer": offer,
        "product": offer.product,
        "fields": fields,
        "values": values,
        "errors": errors,
        "login": login,
        "proof_challenge": proof.challenge(),
        "proof_refresh_url": reverse("api-appointment-challenge"),
    }


def _needs_login(
    request: HttpRequest, offer: ProductSettings
) -> tuple[identity.Identity | None, HttpResponse | None]:
    """For a product that needs a strong login: the citizen's login, or the page to show
    instead of the form (sign in first; or the online request is not available when no
    provider is configured). A POST without a valid login is refused and audited."""
    if not offer.strong_login:
        return None, None
    slug = offer.product.slug
    context: dict[str, Any] = {"offer": offer, "product": offer.product}
    if not identity.enabled():
        status_code = 200
        if request.method == "POST":
            identity.audit_filing_refused(request, slug, "not_configured")
            status_code = 503
        return None, render(request, "eloket/unavailable.html", context, status=status_code)
    login, expired = identity.current(request)
    if login is not None:
        return login, None
    status_code = 200
    if request.method == "POST":
        reason = identity.EXPIRED if expired else identity.NOT_SIGNED_IN
        identity.audit_filing_refused(request, slug, reason)
        status_code = 403
        context["refused"] = True
    context["expired"] = expired
    return None, render(request, "eloket/login.html", context, status=status_code)


def login_start(request: HttpRequest, slug: str) -> HttpResponse:
    """ "Sign in with itsme/eID": off to the citizens' provider, back to this product's form."""
    offer = _offer(slug)
    if not offer.strong_login or not identity.enabled():
        return redirect("eloket:form", slug=offer.product.slug)
    request.session[identity.NEXT_KEY] = offer.product.slug
    callback = request.build_absolute_uri(reverse("eloket:login-callback"))
    try:
        return oidc.begin(request, identity.config(), redirect_uri=callback)
    except oidc.SignInFailed as failed:
        identity.audit_refusal(request, failed.reason, detail=failed.detail)
        context = {"offer": offer, "product": offer.product, "unreachable": True}
        return render(request, "eloket/login.html", context, status=503)


def login_callback(request: HttpRequest) -> HttpResponse:
    """Back from the citizens' provider: check what it says (``core.oidc``), keep the identity
    in the session, and go back to the form — or say why not."""
    if not identity.enabled():
        return redirect("eloket:index")
    slug = str(request.session.get(identity.NEXT_KEY, ""))
    offer = ProductSettings.objects.filter(product__slug=slug).select_related("product").first()
    context: dict[str, Any] = {"offer": offer, "product": offer.product if offer else None}
    try:
        claims = oidc.complete(request, identity.config())
    except oidc.SignInFailed as failed:
        identity.audit_refusal(request, failed.reason, detail=failed.detail)
        if failed.reason == oidc.UNREACHABLE:
            context["unreachable"] = True
            return render(request, "eloket/login.html", context, status=503)
        context["failed"] = True
        return render(request, "eloket/login.html", context, status=400)
    try:
        identity.remember(request, claims)
    except identity.Refused:
        context["no_number"] = True
        return render(request, "eloket/login.html", context, status=403)
    request.session.pop(identity.NEXT_KEY, None)
    if offer is None:
        return redirect("eloket:index")
    return redirect("eloket:form", slug=offer.product.slug)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """ "Sign out": the strong login leaves the session at once (it would expire after
    ``ELOKET_LOGIN_MINUTES`` anyway); back to the product, or to the e-loket."""
    if identity.sign_out(request):
        messages.success(request, _("You are signed out."))
    slug = request.POST.get("product", "")[:100]
    if slug and _offered().filter(product__slug=slug).exists():
        return redirect("eloket:product", slug=slug)
    return redirect("eloket:index")


def form(request: HttpRequest, slug: str) -> HttpResponse:
    """The form. Filing costs a solved proof of work and counts toward the limits per
    connection and per e-mail address; the request is filed once per form shown (a
    double-clicked submit files one request)."""
    offer = _offer(slug)
    login, instead = _needs_login(request, offer)
    if instead is not None:
        return instead
    if request.method != "POST":
        context = _form_context(offer, {}, {}, login)
        context["idempotency_key"] = secrets.token_urlsafe(16)
        return render(request, "eloket/form.html", context)
    data = request.POST
    version = services.current_version(offer.product)
    fields = list(version.fields.order_by("position"))
    keys = {f.key for f in fields}
    answers: dict[str, Any] = {}
    for field in fields:
        if field.kind == "file":
            continue
        if field.kind == "checkbox":
            answers[field.key] = field.key in data
        elif field.key in data:
            answers[field.key] = data.get(field.key, "")
    email = data.get("email", "").strip()[:254]
    key = data.get("idempotency_key", "")[:64] or None
    try:
        proof.require(data.get(proof.FIELD, ""), idempotency_key=key)
        services.check_limits(ip=client.address(request), email=email)
        filed, token = services.submit_request(
            product=offer.product,
            answers=answers,
            email=email,
            uploads=_uploads(request, keys),
            language=(get_language() or "nl")[:2],
            client=services.client_hash(client.address(request)),
            idempotency_key=key,
            identity=login,
        )
    except DomainError as error:
        values = dict(answers)
        values["email"] = email
        context = _form_context(
            offer, values, {k: [str(m) for m in v] for k, v in error.fields.items()}, login
        )
        context["idempotency_key"] = secrets.token_urlsafe(16)
        if not error.fields:
            messages.error(request, error.message)
        return render(request, "eloket/form.html", context, status=error.status_code)
    url = reverse("eloket:received", args=[filed.reference]) + "?" + urlencode({"token": token})
    return redirect(url)


def _by_token(request: HttpRequest, reference: str) -> tuple[Request, str]:
    token = request.GET.get("token", "") or request.POST.get("token", "")
    try:
        return services.by_token(reference, token[:100]), token[:100]
    except NotFound:
        raise Http404(_("No request with this reference and link.")) from None


def _payment_context(filed: Request) -> dict[str, Any]:
    outstanding = filed.outstanding
    context: dict[str, Any] = {
        "communication": ogm.display(filed.communication),
        "iban": settings.ONTHAAL_ELOKET_IBAN,
        "beneficiary": settings.ONTHAAL_ELOKET_BENEFICIARY,
        "outstanding": outstanding,
        "paid_in_full": services.paid_in_full(filed),
    }
    if outstanding > 0:
        context["qr"] = payment.epc_qr_svg(
            iban=settings.ONTHAAL_ELOKET_IBAN,
            bic=settings.ONTHAAL_ELOKET_BIC,
            beneficiary=settings.ONTHAAL_ELOKET_BENEFICIARY,
            amount=outstanding,
            communication=filed.communication,
        )
    return context


def received(request: HttpRequest, reference: str) -> HttpResponse:
    filed, token = _by_token(request, reference)
    context = {
        "filed": filed,
        "token": token,
        "status_url": services.status_url(filed),
        **_payment_context(filed),
    }
    return render(request, "eloket/received.html", context)


def status(request: HttpRequest, reference: str) -> HttpResponse:
    filed, token = _by_token(request, reference)
    context = {
        "filed": filed,
        "token": token,
        "messages_": list(filed.messages.order_by("created_at", "pk")),
        "files": list(filed.files.select_related("document").order_by("pk")),
        "waiting": filed.status == Status.WAITING,
        "errors": {},
        "Direction": RequestMessage.Direction,
        **_payment_context(filed),
    }
    if filed.document_item_id and filed.status in (Status.READY, Status.CLOSED):
        context["download_url"] = reverse(
            "eloket:download", args=[filed.reference, services.download_token(filed)]
        )
    return render(request, "eloket/status.html", context)


@require_POST
def answer(request: HttpRequest, reference: str) -> HttpResponse:
    filed, token = _by_token(request, reference)
    try:
        services.citizen_answer(
            reference=filed.reference,
            token=token,
            body=request.POST.get("body", "")[:6000],
            uploads=_uploads(request, {"files"}),
        )
    except DomainError as error:
        context = {
            "filed": filed,
            "token": token,
            "messages_": list(filed.messages.order_by("created_at", "pk")),
            "files": list(filed.files.select_related("document").order_by("pk")),
            "waiting": filed.status == Status.WAITING,
            "errors": {k: [str(m) for m in v] for k, v in error.fields.items()},
            "body": request.POST.get("body", "")[:6000],
            "Direction": RequestMessage.Direction,
            **_payment_context(filed),
        }
        if not error.fields:
            messages.error(request, error.message)
        return render(request, "eloket/status.html", context, status=error.status_code)
    messages.success(request, _("Thank you. We received your answer."))
    return redirect(services.status_url(filed))


def verify(request: HttpRequest, signed: str) -> HttpResponse:
    try:
        filed = services.verify_email(signed[:500])
    except NotFound as error:
        return render(request, "eloket/verify.html", {"error": error.message}, status=404)
    return render(
        request, "eloket/verify.html", {"filed": filed, "status_url": services.status_url(filed)}
    )


def download(request: HttpRequest, reference: str, signed: str) -> HttpResponse:
    try:
        _filed, filename, data = services.document_for_download(reference[:12], signed[:500])
    except NotFound:
        raise Http404(_("This download link is not valid or has expired.")) from None
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
