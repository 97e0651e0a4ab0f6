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
