import pytest
from rest_framework.exceptions import AuthenticationFailed

from onthaal.accounts import access
from onthaal.accounts.models import Membership, Role
from onthaal.accounts.services.tokens import digest
from onthaal.accounts.tests.factories import DepartmentFactory, UserFactory, api_token, staff
from onthaal.api.authentication import TokenAuthentication

pytestmark = pytest.mark.django_db


def test_the_token_and_the_roles_come_in_one_query(django_assert_num_queries):
    user = staff(Role.DESK_AGENT)
    Membership.objects.create(user=user, department=DepartmentFactory(), role=Role.RECEPTIONIST)
    key = api_token(user)
    with django_assert_num_queries(1):
        found, token = TokenAuthentication().authenticate_credentials(key)
        roles = access.roles(found)
    assert found == user and token.key_hash == digest(key) and token.user == user
    assert roles == {Role.DESK_AGENT, Role.RECEPTIONIST}
    assert sorted(m.pk for m in access.memberships(found)) == sorted(
        Membership.objects.filter(user=user).values_list("pk", flat=True)
    )


def test_a_user_without_roles_still_authenticates_without_any():
    user = UserFactory()
    key = api_token(user)
    found, _token = TokenAuthentication().authenticate_credentials(key)
    assert found == user and access.roles(found) == set()


def test_unknown_tokens_and_inactive_users_are_refused():
    user = staff(Role.DESK_AGENT)
    key = api_token(user)
    with pytest.raises(AuthenticationFailed):
        TokenAuthentication().authenticate_credentials("0" * 40)
    user.is_active = False
    user.save()
    with pytest.raises(AuthenticationFailed):
        TokenAuthentication().authenticate_credentials(key)


def test_a_token_read_is_kept_for_a_few_seconds_and_refused_at_once_when_revoked_here(
    django_assert_num_queries, settings
):
    from onthaal.accounts.services.tokens import token_revoke
    from onthaal.api.authentication import _QUERY

    settings.API_TOKEN_CACHE_SECONDS = 5
    user = staff(Role.DESK_AGENT)
    key = api_token(user)
    _QUERY.forget()
    TokenAuthentication().authenticate_credentials(key)
    with django_assert_num_queries(0):  # kept: no query
        found, token = TokenAuthentication().authenticate_credentials(key)
    # Each request gets its own instances: nothing a request sets on them reaches another.
    again, _token = TokenAuthentication().authenticate_credentials(key)
    assert found == user and again == user and found is not again and token.user is found
    assert access.roles(found) == {Role.DESK_AGENT}
    token_revoke(actor=None, token=token)  # in this process: forgotten at once
    with pytest.raises(AuthenticationFailed):
        TokenAuthentication().authenticate_credentials(key)


@pytest.mark.parametrize("change", ["revoke", "deactivate", "role"])
def test_a_change_made_elsewhere_takes_effect_within_the_bound(settings, monkeypatch, change):
    """Another process's change reaches this one's kept token through no signal (here: an
    UPDATE without one): it is refused once API_TOKEN_CACHE_SECONDS have passed, not later."""
    import onthaal.api.authentication as authentication
    from onthaal.accounts.models import ApiToken

    settings.API_TOKEN_CACHE_SECONDS = 5
    now = [1000.0]
    monkeypatch.setattr(authentication.time, "monotonic", lambda: now[0])
    user = staff(Role.DESK_AGENT)
    key = api_token(user)
    authentication._QUERY.forget()
    found, _token = TokenAuthentication().authenticate_credentials(key)
    assert access.roles(found) == {Role.DESK_AGENT}
    if change == "revoke":
        ApiToken.objects.filter(user=user).update(revoked_at="2026-01-01T00:00:00Z")
    elif change == "deactivate":
        type(user).objects.filter(pk=user.pk).update(is_active=False)
    else:
        Membership.objects.filter(user=user).update(role=Role.AUDITOR)
    now[0] += 4.9  # within the bound: still what was read
    found, _token = TokenAuthentication().authenticate_credentials(key)
    assert access.roles(found) == {Role.DESK_AGENT}
    now[0] += 0.2  # past it: read again
    if change == "role":
        found, _token = TokenAuthentication().authenticate_credentials(key)
        assert access.roles(found) == {Role.AUDITOR}
    else:
        with pytest.raises(AuthenticationFailed):
            TokenAuthentication().authenticate_credentials(key)


def test_with_no_seconds_every_request_reads_the_token(django_assert_num_queries, settings):
    from onthaal.api.authentication import _QUERY

    settings.API_TOKEN_CACHE_SECONDS = 0
    key = api_token(staff(Role.DESK_AGENT))
    _QUERY.forget()
    for _ in range(2):
        with django_assert_num_queries(1):
            TokenAuthentication().authenticate_credentials(key)


def test_a_membership_taken_away_here_is_seen_at_once(settings):
    from onthaal.api.authentication import _QUERY

    settings.API_TOKEN_CACHE_SECONDS = 5
    user = staff(Role.DESK_AGENT)
    key = api_token(user)
    _QUERY.forget()
    found, _token = TokenAuthentication().authenticate_credentials(key)
    assert access.roles(found) == {Role.DESK_AGENT}
    for membership in Membership.objects.filter(user=user):
        membership.delete()
    found, _token = TokenAuthentication().authenticate_credentials(key)
    assert access.roles(found) == set()
