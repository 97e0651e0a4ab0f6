"""The citizen's pages and the staff's pages, through the test client."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from onthaal.appointments import proof
from onthaal.audit.models import AuditEvent
from onthaal.eloket import services
from onthaal.eloket.models import Request, Status
from onthaal.eloket.tests.test_pure import camt_file
from onthaal.mail.models import MailItem
from onthaal.mail.samples import text_pdf

pytestmark = pytest.mark.django_db


def test_the_e_loket_lists_and_searches_its_products(client, world) -> None:
    page = client.get(reverse("eloket:index"))
    assert page.status_code == 200
    for product in (world.attest, world.parking, world.strafregister, world.ocmw):
        assert product.name_nl in page.content.decode()
    found = client.get(reverse("eloket:index"), {"q": "bewoner"}).content.decode()
    assert world.parking.name_nl in found and world.attest.name_nl not in found


def test_the_product_page_says_price_delivery_and_what_to_bring(client, world) -> None:
    page = client.get(reverse("eloket:product", args=[world.parking.slug])).content.decode()
    assert "25,00" in page or "25.00" in page
    assert "Uw identiteitskaart" in page


def _post(client, product, data, files=None):  # type: ignore[no-untyped-def]
    form = client.get(reverse("eloket:form", args=[product.slug]))
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form.content.decode()).group(1)
    payload = {
        "idempotency_key": key,
        "altcha": proof.solve(proof.challenge()),
        "email": "an@example.org",
        **data,
        **(files or {}),
    }
    return client.post(reverse("eloket:form", args=[product.slug]), payload), payload


def test_filing_with_an_upload_leads_to_the_received_page_with_what_to_pay(client, world) -> None:
    upload = SimpleUploadedFile("inschrijving.pdf", text_pdf("Inschrijving"), "application/pdf")
    response, _payload = _post(
        client, world.parking, {"plate": "1-ABC-123"}, {"registration": upload}
    )
    assert response.status_code == 302
    received = client.get(response["Location"])
    filed = Request.objects.get()
    html = received.content.decode()
    assert filed.reference in html
    assert f"+++{filed.communication[:3]}/" in html
    assert "<svg" in html  # the EPC QR code
    assert filed.files.count() == 1


def test_a_double_clicked_submit_files_one_request(client, world) -> None:
    first, payload = _post(client, world.attest, {"name": "An", "reason": "werk"})
    again = client.post(reverse("eloket:form", args=[world.attest.slug]), payload)
    assert first.status_code == again.status_code == 302
    assert Request.objects.count() == 1 and MailItem.objects.count() == 1


def test_bad_input_on_the_form_answers_400_per_field_and_files_nothing(client, world) -> None:
    response, _payload = _post(client, world.strafregister, {"nn": "12345678901"})
    assert response.status_code == 400
    assert 'id="f-nn-error"' in response.content.decode()
    no_proof = client.post(
        reverse("eloket:form", args=[world.attest.slug]), {"name": "An", "reason": "werk"}
    )
    assert no_proof.status_code == 400
    assert Request.objects.count() == 0 and MailItem.objects.count() == 0


def test_the_status_page_needs_the_token_and_takes_an_answer_while_waiting(client, world) -> None:
    filed, token = services.submit_request(
        product=world.attest, answers={"name": "An", "reason": "werk"}, email="a@example.org"
    )
    url = reverse("eloket:status", args=[filed.reference])
    assert client.get(url, {"token": "nope"}).status_code == 404
    services.transition(actor=world.agent, request=filed, to=Status.WAITING, message="Foto?")
    page = client.get(url, {"token": token})
    assert page.status_code == 200 and "Foto?" in page.content.decode()
    empty = client.post(reverse("eloket:answer", args=[filed.reference]), {"token": token})
    assert empty.status_code == 400
    answered = client.post(
        reverse("eloket:answer", args=[filed.reference]),
        {"token": token, "body": "Hier", "files": SimpleUploadedFile("f.pdf", text_pdf("f"))},
    )
    assert answered.status_code == 302
    assert Request.objects.get(pk=filed.pk).status == Status.IN_PROGRESS


def test_the_e_mail_link_confirms_the_address(client, world) -> None:
    filed, _token = services.submit_request(
        product=world.attest, answers={"name": "An", "reason": "werk"}, email="a@example.org"
    )
    assert client.get(services.verify_link(filed)).status_code == 200
    assert Request.objects.get(pk=filed.pk).email_verified_at is not None
    assert client.get(reverse("eloket:verify", args=["forged"])).status_code == 404


def test_staff_see_the_work_list_and_a_request_and_each_read_is_audited(client, world) -> None:
    filed, _token = services.submit_request(
        product=world.attest, answers={"name": "An", "reason": "werk"}, email="a@example.org"
    )
    client.force_login(world.agent)
    listed = client.get(reverse("eloket:staff-list"))
    assert listed.status_code == 200 and filed.reference in listed.content.decode()
    page = client.get(reverse("eloket:staff-request", args=[filed.reference]))
    assert page.status_code == 200 and "An" in page.content.decode()
    assert AuditEvent.objects.filter(action="view", object_id=filed.reference).count() == 1
    moved = client.post(
        reverse("eloket:staff-transition", args=[filed.reference]),
        {"to": Status.IN_PROGRESS, "message": "Gestart"},
    )
    assert moved.status_code == 302
    assert Request.objects.get(pk=filed.pk).status == Status.IN_PROGRESS
    junk = client.post(reverse("eloket:staff-transition", args=[filed.reference]), {"to": "flying"})
    assert junk.status_code == 400


def test_the_ocmw_request_answers_404_to_a_municipality_desk_agent(client, world) -> None:
    filed, _token = services.submit_request(
        product=world.ocmw, answers={"question": "hulp"}, email="a@example.org"
    )
    client.force_login(world.agent)
    assert client.get(reverse("eloket:staff-request", args=[filed.reference])).status_code == 404
    client.force_login(world.social_worker)
    assert client.get(reverse("eloket:staff-request", args=[filed.reference])).status_code == 200


def test_the_payments_page_imports_camt_and_refuses_a_file_that_is_not_one(client, world) -> None:
    filed, _token = services.submit_request(
        product=world.parking,
        answers={"plate": "1"},
        email="a@example.org",
        uploads=[services.Upload("registration", "a.pdf", text_pdf("a"))],
    )
    client.force_login(world.lead)
    url = reverse("eloket:staff-payments")
    wrong = client.post(url, {"file": SimpleUploadedFile("x.pdf", text_pdf("x"))})
    assert wrong.status_code == 400 and 'id="file-error"' in wrong.content.decode()
    data = camt_file(("R1", "25.00", filed.communication), ("R2", "3.00", "000000000097"))
    done = client.post(url, {"file": SimpleUploadedFile("s.xml", data)})
    assert done.status_code == 200
    assert Request.objects.get(pk=filed.pk).paid == filed.amount
    assert "R2" in done.content.decode()  # listed for resolving
    client.force_login(world.agent)
    assert client.get(url).status_code == 403


def test_the_admin_preview_shows_the_form_without_sending_anything(client, world) -> None:
    from onthaal.eloket.services import current_version

    version = current_version(world.attest)
    client.force_login(world.lead)
    page = client.get(reverse("admin:eloket_formversion_preview", args=[version.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="f-name"' in html and 'id="f-reason-1"' in html
    assert "<button" not in html.split('class="stacked"', 1)[1].split("</form>", 1)[0]
    client.force_login(world.social_worker)
    refused = client.get(reverse("admin:eloket_formversion_preview", args=[version.pk]))
    assert refused.status_code in (302, 403, 404)


def _version_post(world, fields):  # type: ignore[no-untyped-def]
    from onthaal.eloket.models import Form

    data = {
        "form": Form.objects.get(product=world.attest).pk,
        "number": 7,
        "fields-TOTAL_FORMS": len(fields),
        "fields-INITIAL_FORMS": 0,
        "fields-MIN_NUM_FORMS": 0,
        "fields-MAX_NUM_FORMS": 1000,
    }
    for n, field in enumerate(fields):
        for name, value in {"position": n + 1, "label_nl": field["key"], **field}.items():
            data[f"fields-{n}-{name}"] = value
    return data


def test_the_admin_refuses_a_show_when_on_a_missing_or_later_field(client, world) -> None:
    from onthaal.eloket.models import FormVersion

    client.force_login(world.lead)
    url = reverse("admin:eloket_formversion_add")
    before = FormVersion.objects.count()
    bad = _version_post(
        world,
        [
            {"key": "early", "kind": "text", "show_when_key": "reason", "show_when_value": "x"},
            {"key": "reason", "kind": "choice", "choices": "werk\nschool"},
            {"key": "typo", "kind": "text", "show_when_key": "raeson", "show_when_value": "werk"},
            {
                "key": "odd",
                "kind": "text",
                "show_when_key": "reason",
                "show_when_value": "vakantie",
            },
        ],
    )
    refused = client.post(url, bad, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200  # the form again, with the errors
    html = refused.content.decode()
    assert "can only depend on an earlier field" in html
    assert "has no field with the key “raeson”" in html
    assert "cannot have the value “vakantie”" in html
    assert FormVersion.objects.count() == before

    good = _version_post(
        world,
        [
            {"key": "reason", "kind": "choice", "choices": "werk\nschool"},
            {
                "key": "school",
                "kind": "text",
                "show_when_key": "reason",
                "show_when_value": "school",
            },
        ],
    )
    assert client.post(url, good).status_code == 302
    assert FormVersion.objects.count() == before + 1


def test_the_form_marks_conditional_fields_for_the_script_and_loads_it(client, world) -> None:
    html = client.get(reverse("eloket:form", args=[world.attest.slug])).content.decode()
    assert 'data-show-when-key="reason" data-show-when-value="school"' in html
    assert "onthaal/show-when.js" in html
    assert "<script>" not in html  # no inline script: the policy forbids it


def test_the_mail_item_and_its_request_link_to_each_other_for_who_may_see_both(
    client, world
) -> None:
    from onthaal.accounts.models import Role
    from onthaal.accounts.tests.factories import staff

    filed, _token = services.submit_request(
        product=world.attest, answers={"name": "An", "reason": "werk"}, email="a@example.org"
    )
    item = MailItem.objects.get(pk=filed.mail_item_id)
    item_url = reverse("mail:item", args=[item.public_id])
    request_url = reverse("eloket:staff-request", args=[filed.reference])

    # A desk agent of Burgerzaken sees both, each linking to the other.
    client.force_login(world.agent)
    mark = AuditEvent.objects.order_by("-pk").first().pk
    page = client.get(item_url).content.decode()
    assert f'href="{request_url}"' in page
    # Reading the item is one event; the link reads nothing of the request.
    assert [e.object_type for e in AuditEvent.objects.filter(pk__gt=mark)] == ["mail.item"]
    page = client.get(request_url).content.decode()
    assert f'href="{item_url}"' in page

    # The mail clerk and the manager read the register, not the e-loket: no link.
    for reader in (staff(Role.MAIL_CLERK, None, username="post"), world.manager):
        client.force_login(reader)
        page = client.get(item_url)
        assert page.status_code == 200
        assert request_url not in page.content.decode()
        assert client.get(request_url).status_code == 404

    # The OCMW's request: its social worker gets both links; nobody else sees either.
    ocmw, _token = services.submit_request(
        product=world.ocmw, answers={"question": "hulp"}, email="b@example.org"
    )
    ocmw_item_url = reverse("mail:item", args=[ocmw.mail_item.public_id])
    ocmw_request_url = reverse("eloket:staff-request", args=[ocmw.reference])
    client.force_login(world.social_worker)
    assert f'href="{ocmw_request_url}"' in client.get(ocmw_item_url).content.decode()
    assert f'href="{ocmw_item_url}"' in client.get(ocmw_request_url).content.decode()
    client.force_login(world.agent)
    assert client.get(ocmw_item_url).status_code == 404
