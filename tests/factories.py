"""Small factories for test data."""

from functools import cache

import factory
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User

from access.roles import Role
from access.services import user_roles_set

PASSWORD = "correct-horse-battery"

# The personas of every access test (style.md): one per role, one out of scope, one with two roles.
PERSONA_ROLES = {
    "operator": [Role.OPERATOR],
    "investigator": [Role.INVESTIGATOR],
    "investigator2": [Role.INVESTIGATOR],
    "senior": [Role.SENIOR_OFFICER],
    "intel": [Role.INTELLIGENCE_LEAD],
    "hotlists": [Role.HOTLIST_MANAGER],
    "auditor": [Role.AUDITOR],
    "admin": [Role.ADMINISTRATOR],
    "inspector": [Role.OPERATOR, Role.SENIOR_OFFICER],
    "nobody": [],
}


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    # Argon2 is slow by design: hash the shared test password once per run.
    password = factory.LazyFunction(lambda: password_hash())


@cache
def password_hash() -> str:
    return make_password(PASSWORD)


def make_persona(name: str) -> User:
    user = UserFactory(username=name)
    user_roles_set(user=user, roles=PERSONA_ROLES[name], acting_user=None)
    return user
