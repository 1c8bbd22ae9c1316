"""How people are named on pages."""

from django import template

register = template.Library()


@register.filter
def person(user) -> str:
    """A user's full name, or their username; nothing for no one."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
