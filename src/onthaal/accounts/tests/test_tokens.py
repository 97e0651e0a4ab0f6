"""API tokens: stored as hashes, shown once (admin page and command line), revoked, and
every creation and revocation audited without the token."""

import hashlib
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from onthaal.accounts.models import ApiToken, Role
from onthaal.accounts.services import tokens
from onthaal.accounts.tests.factories import DepartmentFactory, api_token, staff
from onthaal.audit.models import Action, AuditEvent
from onthaal.core.errors import Conflict

pytestmark = pytest.mark.django_db


def _me(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/me/").status_code


def _all_stored_text() -> str:
    """Every value of every row of the token and audit tables, as text."""
    with connection.cursor() as cursor:
        rows = []
        for table in (ApiToken._meta.db_table, AuditEvent._meta.db_table):
            cursor.execute(f'SELECT * FROM "{table}"')
            rows += cursor.fetchall()
    return repr(rows)


def test_a_token_is_stored_only_as_its_hash_and_authenticates():
    user = staff(Role.RECEPTIONIST, DepartmentFactory())
    token, key = tokens.token_create(actor=None, user=user, name="kiosk-1")
    assert len(key) >= 40
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:8]
    assert key not in _all_stored_text()
    assert _me(key) == 200
    event = AuditEvent.objects.get(object_type="accounts.apitoken", action=Action.CREATE)
    assert event.details == {"user": user.username, "name": "kiosk-1", "prefix": key[:8]}


def test_a_revoked_token_is_refused_and_revoking_is_audited_once():
    user = staff(Role.RECEPTIONIST, DepartmentFactory())
    token, key = tokens.token_create(actor=None, user=user, name="kiosk-1")
    tokens.token_revoke(actor=None, token=token)
    tokens.token_revoke(actor=None, token=token)  # again: nothing changes
    assert _me(key) == 401
    revoked = AuditEvent.objects.filter(object_type="accounts.apitoken", action=Action.UPDATE)
    assert [e.details for e in revoked] == [
        {"user": user.username, "name": "kiosk-1", "prefix": key[:8], "revoked": True}
    ]
    # The name is free again for a new token.
    _token, new_key = tokens.token_create(actor=None, user=user, name="kiosk-1")
    assert _me(new_key) == 200


def test_two_active_tokens_of_one_user_cannot_share_a_name():
    user = staff(Role.RECEPTIONIST)
    tokens.token_create(actor=None, user=user, name="kiosk-1")
    with pytest.raises(Conflict):
        tokens.token_create(actor=None, user=user, name="kiosk-1")
    assert ApiToken.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="accounts.apitoken").count() == 1


def test_the_admin_shows_a_new_token_once_and_never_again(client):
    admin_user = staff(Role.ADMIN)
    kiosk = staff(Role.RECEPTIONIST, DepartmentFactory(), username="kiosk-ac")
    client.force_login(admin_user)
    add = reverse("admin:accounts_apitoken_add")
    response = client.post(add, {"user": kiosk.pk, "name": "kiosk-1"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get()
    key = response.context["key"]
    assert key.startswith(token.prefix) and key in response.content.decode()
    assert _me(key) == 200
    for page in (
        reverse("admin:accounts_apitoken_changelist"),
        reverse("admin:accounts_apitoken_change", args=[token.pk]),
    ):
        shown = client.get(page)
        assert shown.status_code == 200 and key not in shown.content.decode()
    assert key not in _all_stored_text()
    event = AuditEvent.objects.get(object_type="accounts.apitoken")
    assert event.actor_id == str(admin_user.pk)
    assert event.details == {"user": "kiosk-ac", "name": "kiosk-1", "prefix": token.prefix}


def test_the_admin_revokes_tokens_and_cannot_change_or_delete_them(client):
    admin_user = staff(Role.ADMIN)
    kiosk = staff(Role.RECEPTIONIST, DepartmentFactory())
    key = api_token(kiosk, "kiosk-1")
    token = ApiToken.objects.get()
    client.force_login(admin_user)
    changelist = reverse("admin:accounts_apitoken_changelist")
    response = client.post(changelist, {"action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    assert _me(key) == 401
    change = reverse("admin:accounts_apitoken_change", args=[token.pk])
    client.post(change, {"user": admin_user.pk, "name": "renamed"})
    token.refresh_from_db()
    assert (token.user, token.name) == (kiosk, "kiosk-1")
    assert client.get(reverse("admin:accounts_apitoken_delete", args=[token.pk])).status_code == 403


def test_the_old_api_token_pages_are_gone(client):
    client.force_login(staff(Role.ADMIN))
    assert client.get("/admin/authtoken/tokenproxy/").status_code == 404


def test_token_create_and_revoke_on_the_command_line():
    user = staff(Role.RECEPTIONIST, DepartmentFactory(), username="kiosk-ac-2")
    out, err = io.StringIO(), io.StringIO()
    call_command("token", "create", "kiosk-ac-2", "--name", "kiosk-2", stdout=out, stderr=err)
    key = out.getvalue().strip()
    assert "not shown again" in err.getvalue()
    assert _me(key) == 200
    listing = io.StringIO()
    call_command("token", "list", "kiosk-ac-2", stdout=listing)
    assert "kiosk-2" in listing.getvalue() and key[:8] in listing.getvalue()
    assert key not in listing.getvalue()
    call_command("token", "revoke", "kiosk-ac-2", "--name", "kiosk-2", stdout=io.StringIO())
    assert _me(key) == 401
    events = AuditEvent.objects.filter(object_type="accounts.apitoken").order_by("pk")
    assert [(e.action, e.actor_label) for e in events] == [
        (Action.CREATE, "command line"),
        (Action.UPDATE, "command line"),
    ]
    assert user.api_tokens.get().revoked_at is not None


def test_the_command_line_names_what_is_wrong():
    staff(Role.RECEPTIONIST, username="kiosk-ac-3")
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("token", "create", "nobody", stdout=io.StringIO())
    call_command("token", "create", "kiosk-ac-3", "--name", "k", stdout=io.StringIO())
    # Messages in the install's language (Dutch here); they name the user and the token.
    with pytest.raises(CommandError, match=r"kiosk-ac-3 .*\bk\b"):
        call_command("token", "create", "kiosk-ac-3", "--name", "k", stdout=io.StringIO())
    with pytest.raises(CommandError, match=r"kiosk-ac-3 .*\bother\b"):
        call_command("token", "revoke", "kiosk-ac-3", "--name", "other", stdout=io.StringIO())
    assert ApiToken.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_tokens_of_the_old_token_table_move_in_as_hashes():
    """A database that had Django REST framework's token app: its tokens keep working and the
    clear-text table is emptied."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("onthaal.accounts.migrations.0003_hash_existing_api_tokens")
    user = staff(Role.RECEPTIONIST)
    old_key = "a" * 40
    with connection.cursor() as cursor:
        cursor.execute(
            'CREATE TABLE "authtoken_token" ("key" varchar(40) PRIMARY KEY, '
            '"created" timestamp with time zone NOT NULL, "user_id" integer NOT NULL)'
            if connection.vendor == "postgresql"
            else 'CREATE TABLE "authtoken_token" ("key" varchar(40) PRIMARY KEY, '
            '"created" datetime NOT NULL, "user_id" integer NOT NULL)'
        )
        cursor.execute(
            'INSERT INTO "authtoken_token" VALUES (%s, %s, %s)',
            [old_key, "2026-01-05 10:00:00", user.pk],
        )
    try:
        with connection.schema_editor() as editor:
            migration.hash_tokens(apps, editor)
        with connection.cursor() as cursor:
            cursor.execute('SELECT count(*) FROM "authtoken_token"')
            assert cursor.fetchone() == (0,)
    finally:
        with connection.cursor() as cursor:
            cursor.execute('DROP TABLE "authtoken_token"')
    token = ApiToken.objects.get()
    assert (token.user, token.prefix) == (user, "aaaaaaaa")
    assert token.created_at.year == 2026
    assert _me(old_key) == 200
    assert get_user_model().objects.count() == 1
