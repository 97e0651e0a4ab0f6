"""The login lockout under real concurrent connections on PostgreSQL: however many attempts
for one user name arrive at once, at most ``LOCKOUT_ATTEMPTS`` passwords are checked before
the name is locked, and a right password among the rest does not get in."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.test import Client
from django.urls import reverse

from onthaal.accounts.models import LoginFailure, Role
from onthaal.accounts.tests.factories import PASSWORD, staff
from onthaal.audit import selectors as audit_selectors
from onthaal.audit.models import Action, AuditEvent
from tests.concurrency.threads import run_at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("concurrency"),
]


@pytest.fixture(autouse=True)
def _lockout(settings):
    settings.LOCKOUT_ATTEMPTS = 5
    settings.LOCKOUT_MINUTES = 15
    # Production's kind of password hasher: checking a password takes a while (a fifth of
    # production's iterations, for a shared test machine), which is the window attempts race in.
    settings.PASSWORD_HASHERS = [f"{__name__}.TestPBKDF2PasswordHasher"]


class TestPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    iterations = PBKDF2PasswordHasher.iterations // 5


def _attempts(username: str, passwords: list[str]) -> list[int]:
    """One login attempt per password, all at once, each thread with its own connection and
    its own browser; the response codes in the order of ``passwords``."""
    codes = [0] * len(passwords)
    lock = threading.Lock()

    def work(n: int) -> None:
        response = Client().post(
            reverse("accounts:login"), {"username": username, "password": passwords[n]}
        )
        with lock:
            codes[n] = response.status_code

    assert run_at_once(len(passwords), work) == []
    return codes


def test_30_concurrent_wrong_passwords_check_only_five():
    user = staff(Role.DESK_AGENT)
    codes = _attempts(user.username, ["wrong"] * 30)
    # Five passwords checked, all wrong (those that end after the fifth attempt began are told
    # that the name is locked now); 25 refused as locked without their password being checked.
    assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED).count() == 5
    assert LoginFailure.objects.filter(username=user.username).count() == 5
    refused = AuditEvent.objects.filter(
        action=Action.LOCKED_OUT, details__reason="attempt while locked"
    )
    assert refused.count() == 25
    assert len(codes) == 30 and codes.count(403) >= 26
    assert audit_selectors.verify().ok


def test_40_concurrent_attempts_with_the_right_password_after_five_failures_all_fail():
    user = staff(Role.DESK_AGENT)
    _attempts(user.username, ["wrong"] * 5)
    assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED).count() == 5
    codes = _attempts(user.username, [PASSWORD, "wrong"] * 20)
    assert codes == [403] * 40
    assert AuditEvent.objects.filter(action=Action.LOGIN).count() == 0
    assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED).count() == 5


def test_concurrent_attempts_of_one_name_in_other_cases_share_one_counter():
    user = staff(Role.DESK_AGENT, username="bart")
    names = ["bart", "BART", "Bart", "bArt"] * 5
    codes = [0] * len(names)

    def work(n: int) -> None:
        codes[n] = (
            Client()
            .post(reverse("accounts:login"), {"username": names[n], "password": "wrong"})
            .status_code
        )

    assert run_at_once(len(names), work) == []
    assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED).count() == 5
    assert AuditEvent.objects.filter(details__reason="attempt while locked").count() == 15
    assert sorted(set(codes)) in ([200, 403], [403])
    assert LoginFailure.objects.filter(username__iexact=user.username).count() == 5


def test_the_right_password_among_40_concurrent_attempts_never_follows_five_failures():
    """The review's race: of 40 attempts at once, the right password got in after 17 wrong
    ones. Now at most four other attempts are under way beside it: if it gets in at all, at
    most four failures were recorded before its login."""
    user = staff(Role.DESK_AGENT)
    passwords = ["wrong"] * 39
    passwords.insert(20, PASSWORD)
    _attempts(user.username, passwords)
    events = list(
        AuditEvent.objects.filter(action__in=[Action.LOGIN, Action.LOGIN_FAILED])
        .order_by("pk")
        .values_list("action", flat=True)
    )
    if Action.LOGIN in events:
        assert events.count(Action.LOGIN) == 1
        assert events.index(Action.LOGIN) <= 4
        # Its success cleared the failures before it: at most five more could follow.
        assert events.count(Action.LOGIN_FAILED) <= 4 + 5
    else:
        assert events == [Action.LOGIN_FAILED] * 5
