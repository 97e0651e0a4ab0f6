"""Filing, handling and paying a request, through the services (the pages and the API have
their own tests)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from onthaal.audit.models import AuditEvent
from onthaal.audit.services import flush_pending_refusals
from onthaal.core.errors import AccessDenied, Conflict, DomainError, NotFound
from onthaal.eloket import ogm, selectors, services
from onthaal.eloket.models import Notification, Payment, Request, RequestFile, Status
from onthaal.eloket.tests.test_pure import camt_file
from onthaal.mail.models import Channel, Direction, MailItem
from onthaal.mail.samples import text_pdf

pytestmark = pytest.mark.django_db


def file_attest(world, **extra):  # type: ignore[no-untyped-def]
    return services.submit_request(
        product=world.attest,
        answers={"name": "An Peeters", "reason": "werk", **extra},
        email="an@example.org",
    )


def file_parking(world, key=None):  # type: ignore[no-untyped-def]
    return services.submit_request(
        product=world.parking,
        answers={"plate": "1-ABC-123"},
        email="an@example.org",
        uploads=[services.Upload("registration", "inschrijving.pdf", text_pdf("Inschrijving"))],
        idempotency_key=key,
    )


def test_a_request_is_registered_as_incoming_e_loket_mail_with_its_files(world) -> None:
    request, token = file_parking(world)
    item = MailItem.objects.get(pk=request.mail_item_id)
    assert (item.direction, item.channel, item.department) == (
        Direction.IN,
        Channel.ELOKET,
        world.burgerzaken,
    )
    assert request.register_number == item.register_number
    assert request.status == Status.RECEIVED
    assert request.amount == Decimal("25.00")
    assert ogm.normalise(request.communication) == request.communication
    assert [f.field_key for f in RequestFile.objects.filter(request=request)] == ["registration"]
    assert item.documents.count() == 1
    assert request.token_matches(token) and "token" not in request.answers
    assert Notification.objects.filter(request=request, recipient="an@example.org").count() == 1
    assert AuditEvent.objects.filter(object_type="eloket.request", object_id=request.reference)


def test_the_same_key_twice_files_one_request_and_uses_one_number(world) -> None:
    first, _token = file_parking(world, key="k" * 20)
    second, _token = file_parking(world, key="k" * 20)
    assert first.pk == second.pk
    assert Request.objects.count() == 1
    assert MailItem.objects.count() == 1


def test_a_key_presented_by_someone_else_never_returns_the_first_request(world) -> None:
    first, _token = file_parking(world, key="guessable")
    with pytest.raises(Conflict) as caught:
        services.submit_request(
            product=world.parking,
            answers={"plate": "9"},
            email="other@example.org",
            uploads=[services.Upload("registration", "x.pdf", text_pdf("x"))],
            idempotency_key="guessable",
        )
    assert first.reference not in caught.value.message
    assert Request.objects.count() == 1


def refused(call):  # type: ignore[no-untyped-def]
    items, requests = MailItem.objects.count(), Request.objects.count()
    with pytest.raises(DomainError) as caught:
        call()
    assert (MailItem.objects.count(), Request.objects.count()) == (items, requests)
    return caught.value


def test_a_missing_required_field_is_refused_on_its_field_and_files_nothing(world) -> None:
    error = refused(
        lambda: services.submit_request(
            product=world.attest, answers={"reason": "school"}, email="an@example.org"
        )
    )
    assert set(error.fields) == {"name", "school"}


def test_a_wrong_national_number_is_refused(world) -> None:
    error = refused(
        lambda: services.submit_request(
            product=world.strafregister, answers={"nn": "85073003361"}, email="a@example.org"
        )
    )
    assert list(error.fields) == ["nn"]


def test_a_valid_national_number_is_kept_where_the_product_needs_it(world) -> None:
    request, _token = services.submit_request(
        product=world.strafregister, answers={"nn": "85.07.30-033.28"}, email="a@example.org"
    )
    assert request.national_number == "85073003328"


def test_a_national_number_where_none_is_needed_is_refused(world) -> None:
    error = refused(lambda: file_attest(world, national_number="85073003328"))
    assert list(error.fields) == ["national_number"]


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("leeg.pdf", b""),
        ("factuur.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200),
        ("brief.pdf", b"just some text pretending to be a PDF"),
    ],
)
def test_an_empty_or_forged_upload_is_refused_on_its_field(world, filename, data) -> None:
    error = refused(
        lambda: services.submit_request(
            product=world.parking,
            answers={"plate": "1-ABC-123"},
            email="an@example.org",
            uploads=[services.Upload("registration", filename, data)],
        )
    )
    assert list(error.fields) == ["registration"]


def test_an_unknown_product_form_field_and_a_bad_email_are_refused(world) -> None:
    error = refused(
        lambda: services.submit_request(
            product=world.attest,
            answers={"name": "x", "reason": "werk", "extra": "y"},
            email="not-an-address",
        )
    )
    assert set(error.fields) == {"extra", "email"}


def test_staff_move_a_request_on_and_every_change_e_mails_the_citizen(world) -> None:
    request, token = file_attest(world)
    services.transition(actor=world.agent, request=request, to=Status.IN_PROGRESS)
    services.transition(
        actor=world.agent, request=request, to=Status.WAITING, message="Stuur een foto."
    )
    with pytest.raises(Conflict):
        services.transition(actor=world.agent, request=request, to=Status.CLOSED)
    answered = services.citizen_answer(
        reference=request.reference,
        token=token,
        body="Hier is ze.",
        uploads=[services.Upload("x", "foto.pdf", text_pdf("foto"))],
    )
    assert answered.status == Status.IN_PROGRESS
    assert answered.files.count() == 1
    assert [m.direction for m in answered.messages.order_by("pk")] == ["out", "in"]
    services.transition(actor=world.agent, request=request, to=Status.READY)
    done = services.transition(actor=world.agent, request=request, to=Status.CLOSED)
    assert done.finished_at is not None
    # received + in progress + waiting + ready + closed
    assert Notification.objects.filter(request=request).count() == 5
    transitions = AuditEvent.objects.filter(
        object_id=request.reference, action="transition"
    ).count()
    assert transitions == 5


def test_the_citizen_cannot_alter_a_request_that_does_not_wait_for_them(world) -> None:
    request, token = file_attest(world)
    with pytest.raises(Conflict):
        services.citizen_answer(reference=request.reference, token=token, body="nog iets")
    with pytest.raises(NotFound):
        services.citizen_answer(reference=request.reference, token="wrong", body="x")
    assert request.messages.count() == 0


def test_waiting_and_rejecting_need_a_message(world) -> None:
    request, _token = file_attest(world)
    with pytest.raises(DomainError) as caught:
        services.transition(actor=world.agent, request=request, to=Status.REJECTED)
    assert list(caught.value.fields) == ["message"]
    assert Request.objects.get(pk=request.pk).status == Status.RECEIVED


def test_the_ocmw_request_is_seen_only_by_its_department_and_every_read_is_audited(world) -> None:
    request, _token = services.submit_request(
        product=world.ocmw, answers={"question": "hulp"}, email="b@example.org"
    )
    assert request.confidential
    found = selectors.get_request(world.social_worker, request.reference)
    assert found.pk == request.pk
    assert AuditEvent.objects.filter(action="view", object_id=request.reference).count() == 1
    for outsider in (world.agent, world.manager, world.lead):
        with pytest.raises(NotFound):
            selectors.get_request(outsider, request.reference)
        assert request.reference not in [r.reference for r in selectors.work_list(outsider)]
    with pytest.raises(AccessDenied):
        services.transition(actor=world.agent, request=request, to=Status.IN_PROGRESS)
    flush_pending_refusals()
    refusals = AuditEvent.objects.filter(action="permission_denied", object_id=request.reference)
    assert refusals.count() == 4


def test_the_work_list_shows_overdue_requests_first(world, time_machine) -> None:
    import datetime as dt

    time_machine.move_to(dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC), tick=False)
    old, _t = file_attest(world)
    time_machine.move_to(dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC), tick=False)
    new, _t = file_attest(world)
    listed = selectors.work_list(world.agent)
    assert [r.reference for r in listed] == [old.reference, new.reference]
    assert listed[0].overdue == 0 and listed[1].overdue == 1


def test_a_bank_statement_marks_paid_partial_double_and_unknown(world) -> None:
    paid, _t = file_parking(world)
    part, _t = services.submit_request(
        product=world.parking,
        answers={"plate": "2"},
        email="c@example.org",
        uploads=[services.Upload("registration", "a.pdf", text_pdf("a"))],
    )
    data = camt_file(
        ("R1", "25.00", paid.communication),
        ("R2", "10.00", part.communication),
        ("R3", "25.00", paid.communication),
        ("R4", "7.00", "123456789002"),
    )
    result = services.import_statement(actor=world.lead, filename="s.xml", data=data)
    outcomes = {p.bank_reference: p.outcome for p in result.payments}
    assert outcomes == {
        "R1": Payment.Outcome.MATCHED,
        "R2": Payment.Outcome.PARTIAL,
        "R3": Payment.Outcome.DOUBLE,
        "R4": Payment.Outcome.UNMATCHED,
    }
    assert Request.objects.get(pk=paid.pk).paid == Decimal("50.00")
    assert Request.objects.get(pk=part.pk).paid == Decimal("10.00")
    assert len(selectors.payments_to_resolve(world.lead)) == 3
    with pytest.raises(Conflict):
        services.import_statement(actor=world.lead, filename="s.xml", data=data)
    assert Payment.objects.count() == 4


def test_a_file_that_is_not_camt_is_a_clear_error_on_the_file_field(world) -> None:
    with pytest.raises(DomainError) as caught:
        services.import_statement(actor=world.lead, filename="x.pdf", data=text_pdf("x"))
    assert caught.value.code == "not_camt" and list(caught.value.fields) == ["file"]
    with pytest.raises(AccessDenied):
        services.import_statement(actor=world.agent, filename="s.xml", data=camt_file())
    assert flush_pending_refusals() == 1
    assert Payment.objects.count() == 0


def test_the_document_is_a_registered_outgoing_letter_and_downloads_by_its_link(world) -> None:
    from onthaal.mail import letters

    if not letters.available():
        pytest.skip("WeasyPrint (Pango) is not installed")
    request, _token = file_attest(world)
    made = services.produce_document(actor=world.agent, request=request)
    assert made.document_item is not None
    assert made.document_item.direction == Direction.OUT
    assert made.document_item.answers_id == request.mail_item_id
    _found, filename, data = services.document_for_download(
        request.reference, services.download_token(request)
    )
    assert data.startswith(b"%PDF-") and filename.endswith(".pdf")
    assert AuditEvent.objects.filter(action="download", object_id=request.reference).count() == 1
    with pytest.raises(NotFound):
        services.document_for_download(request.reference, "forged")


def test_the_citizens_message_is_sent_once_and_retried_with_back_off_when_the_server_refuses(
    world, settings
) -> None:
    from django.core import mail

    from onthaal.core import clock
    from onthaal.eloket import outbox

    request, _token = file_parking(world)
    message = Notification.objects.get(request=request)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    assert outbox.send_due() == 0  # nobody listens on the discard port: refused
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Notification.State.PENDING, 1)
    assert message.next_attempt_at > clock.now() and message.last_error
    assert outbox.send_due() == 0  # not due again before its back-off
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Notification.objects.filter(pk=message.pk).update(next_attempt_at=clock.now())
    assert outbox.send_due() == 1
    assert outbox.send_due() == 0  # sent once
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, "")
    assert [m.to for m in mail.outbox] == [["an@example.org"]]
    assert mail.outbox[0].extra_headers["Message-ID"] == f"<eloket-{message.pk}@onthaal>"


@pytest.mark.parametrize("paid", ["0", "10.00"])
def test_an_unpaid_request_becomes_ready_only_with_a_reason_and_the_override_is_audited(
    world, paid
) -> None:
    request, _token = file_parking(world)
    Request.objects.filter(pk=request.pk).update(paid=Decimal(paid))
    left = Decimal("25.00") - Decimal(paid)
    for blank in ("", "   "):
        with pytest.raises(Conflict) as refused:
            services.transition(
                actor=world.agent, request=request, to=Status.READY, override_reason=blank
            )
        assert refused.value.code == "unpaid" and set(refused.value.fields) == {"override_reason"}
    request.refresh_from_db()
    assert request.status == Status.RECEIVED
    assert not AuditEvent.objects.filter(object_id=request.reference, action="transition").exists()
    assert Notification.objects.filter(request=request).count() == 1  # only "received"

    ready = services.transition(
        actor=world.agent, request=request, to=Status.READY, override_reason="betaalt aan de balie"
    )

    assert ready.status == Status.READY
    event = AuditEvent.objects.get(object_id=request.reference, action="transition")
    assert event.details["unpaid_override"] == {
        "reason": "betaalt aan de balie",
        "outstanding": f"{left:.2f}",
    }
    with pytest.raises(Conflict):  # closing it asks again
        services.transition(actor=world.agent, request=ready, to=Status.CLOSED)
    services.transition(
        actor=world.agent, request=ready, to=Status.CLOSED, override_reason="kwijtgescholden"
    )


def test_a_paid_or_free_request_needs_no_reason_and_other_steps_never_do(world) -> None:
    parking, _token = file_parking(world)
    services.transition(actor=world.agent, request=parking, to=Status.IN_PROGRESS)
    services.transition(actor=world.agent, request=parking, to=Status.REJECTED, message="nee")
    paid, _token = file_parking(world)
    Request.objects.filter(pk=paid.pk).update(paid=Decimal("25.00"))
    assert services.transition(actor=world.agent, request=paid, to=Status.READY).status == "ready"
    free, _token = file_attest(world)
    assert services.transition(actor=world.agent, request=free, to=Status.READY).status == "ready"
    events = AuditEvent.objects.filter(action="transition")
    assert not any("unpaid_override" in e.details for e in events)


def test_the_staff_page_asks_the_reason_for_an_unpaid_request(client, world) -> None:
    from django.urls import reverse

    request, _token = file_parking(world)
    client.force_login(world.agent)
    page = client.get(reverse("eloket:staff-request", args=[request.reference])).content.decode()
    assert 'id="override-ready"' in page and 'id="override-in_progress"' not in page
    url = reverse("eloket:staff-transition", args=[request.reference])
    refused = client.post(url, {"to": "ready", "message": "Klaar"})
    assert refused.status_code == 409
    assert 'id="override-error"' in refused.content.decode()
    request.refresh_from_db()
    assert request.status == Status.RECEIVED
    moved = client.post(url, {"to": "ready", "message": "Klaar", "override_reason": "cash"})
    assert moved.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.READY
