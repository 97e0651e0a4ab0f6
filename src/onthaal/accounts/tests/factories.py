from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from onthaal.accounts.models import Membership, Role
from onthaal.organisation.models import Department, Desk, Location, Organisation

PASSWORD = "Correct-Horse-42"


class OrganisationFactory(factory.django.DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation
        django_get_or_create = ["name"]

    name = "Gemeente Testdorp"
    kind = Organisation.Kind.MUNICIPALITY


class LocationFactory(factory.django.DjangoModelFactory[Location]):
    class Meta:
        model = Location

    name = factory.Sequence(lambda n: f"Gebouw {n}")
    slug = factory.Sequence(lambda n: f"gebouw-{n}")
    city = "Testdorp"


class DepartmentFactory(factory.django.DjangoModelFactory[Department]):
    class Meta:
        model = Department

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Dienst {n}")
    slug = factory.Sequence(lambda n: f"dienst-{n}")
    confidential = False


class DeskFactory(factory.django.DjangoModelFactory[Desk]):
    class Meta:
        model = Desk

    location = factory.SubFactory(LocationFactory)
    name = factory.Sequence(lambda n: f"Balie {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


def staff(role: str = Role.DESK_AGENT, department: Department | None = None, **kwargs):
    """A user with one membership."""
    user = UserFactory(**kwargs)
    Membership.objects.create(user=user, role=role, department=department)
    return user


def api_token(user, name: str = "") -> str:
    """A new API token of ``user`` (the text, as a device would send it)."""
    from onthaal.accounts.services.tokens import token_create

    count = user.api_tokens.count()
    return token_create(actor=None, user=user, name=name or f"test-{count + 1}")[1]
