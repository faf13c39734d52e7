"""Who may do what in the review workspace; pages and the API ask this one policy.

- ``investigator``: view cases they are a member of (overview, grid, search filters, item
  view with the full-size image, QA figures, audit check); no decisions.
- ``reviewer``: everything an investigator may, plus decide, decide stacks, undo, and review
  the QA sample.
- ``admin``: everything. Users and memberships are managed with the ``sichter user`` /
  ``sichter case add-member`` commands on the server itself.

Membership still comes first: a case the user is not a member of answers 404 for every role.
"""

from __future__ import annotations

from sichter.errors import SichterError
from sichter.web.services.accounts import User

VIEW, DECIDE, MANAGE = "view", "decide", "manage"
POLICY: dict[str, frozenset[str]] = {
    VIEW: frozenset({"investigator", "reviewer", "admin"}),
    DECIDE: frozenset({"reviewer", "admin"}),
    MANAGE: frozenset({"admin"}),
}
_WHAT = {VIEW: "view cases", DECIDE: "record review decisions", MANAGE: "manage users"}


class Forbidden(SichterError):
    """The user's role does not allow the action (HTTP 403)."""


def allowed(user: User, action: str) -> bool:
    return user.role in POLICY[action]


def require(user: User, action: str) -> None:
    """Raise ``Forbidden`` with a message naming the role and the action unless allowed."""
    if not allowed(user, action):
        roles = ", ".join(sorted(POLICY[action]))
        raise Forbidden(f"your role '{user.role}' may not {_WHAT[action]} (needs: {roles})")


def actor(user: str | User, action: str) -> str:
    """The name to record for ``user``. A ``User`` (a web request) must hold a role allowing
    ``action``; a bare name comes from a trusted local caller (CLI, tests)."""
    if isinstance(user, User):
        require(user, action)
        return user.name
    return user
