"""API tokens: `Authorization: Token <key>`, stored as SHA-256, scoped to one workspace.

Keys are 32 random bytes, so a fast hash is enough (nothing to brute-force) and lets the
lookup be one indexed query on the hash.
"""

import hashlib
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from rest_framework import authentication, exceptions, permissions

from core.models import ApiToken, Scope, Workspace

KEY_PREFIX = "tly_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_create(*, workspace: Workspace, scopes: list[str], name: str = "") -> tuple[ApiToken, str]:
    """Create a token; returns it and the key, which is not stored anywhere and cannot be shown again."""
    unknown = set(scopes) - set(Scope.values)
    if unknown or not scopes:
        raise ValueError(f"scopes must be a non-empty subset of {sorted(Scope.values)}, got {sorted(scopes)}")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        workspace=workspace,
        name=name,
        prefix=key[: len(KEY_PREFIX) + 4],
        key_hash=hash_key(key),
        scopes=sorted(set(scopes)),
    )
    return token, key


def token_revoke(*, token: ApiToken) -> None:
    """Revokes at once in this process; other processes stop accepting it within TALLY_TOKEN_CACHE_SECONDS."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    _token_cache.pop(token.key_hash, None)


_token_cache: dict[str, tuple[float, ApiToken | None]] = {}
_TOKEN_CACHE_LIMIT = 10_000


def _cached_token(key_hash: str) -> ApiToken | None:
    """The active token with this hash, looked up at most once per TALLY_TOKEN_CACHE_SECONDS per
    process: the lookup was a third of a single-event POST. Unknown keys are cached too, so a
    client hammering with a bad key costs no queries either."""
    now = time.monotonic()
    cached = _token_cache.get(key_hash)
    if cached is not None and now - cached[0] < settings.TALLY_TOKEN_CACHE_SECONDS:
        return cached[1]
    token = ApiToken.objects.select_related("workspace").filter(key_hash=key_hash, revoked_at__isnull=True).first()
    if len(_token_cache) >= _TOKEN_CACHE_LIMIT:
        _token_cache.clear()
    _token_cache[key_hash] = (now, token)
    return token


def clear_token_cache() -> None:
    _token_cache.clear()


class TokenAuthentication(authentication.BaseAuthentication):
    """request.user is a TokenUser (its workspace), request.auth the ApiToken."""

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header: expected 'Token <key>'.")
        try:
            key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid token header: the key is not valid text.") from None
        token = _cached_token(hash_key(key))
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        self._touch(token)
        return (TokenUser(token), token)

    def authenticate_header(self, request):
        return self.keyword

    @staticmethod
    def _touch(token: ApiToken) -> None:
        """Record last use at most once a minute, so a busy client does not write on every request."""
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION), pk=token.pk
            ).update(last_used_at=now)
            token.last_used_at = now


class TokenUser:
    """The authenticated principal of an API request: a workspace's token, not a Django user."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, token: ApiToken):
        self.token = token
        self.workspace = token.workspace

    def __str__(self) -> str:
        return f"token {self.token.prefix}… of {self.workspace.slug}"


class AdminSessionAuthentication(authentication.SessionAuthentication):
    """The browsable API for a staff user logged in to the admin (or at /api-auth/login/): no
    token to paste. The session acts on one workspace with every scope: the one named by
    `?workspace=<slug>` (remembered in the session), else `demo`, else the first by slug. DRF's
    SessionAuthentication enforces the CSRF token on unsafe methods, so a form on another site
    cannot post events with a logged-in browser."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None or not result[0].is_staff:
            return None
        workspace = session_workspace(request)
        if workspace is None:
            raise exceptions.AuthenticationFailed("No workspace yet: create one with manage.py create_token.")
        return (SessionUser(result[0], workspace), SessionGrant())


def session_workspace(request) -> Workspace | None:
    session = request._request.session
    chosen = request.query_params.get("workspace") or session.get("tally_workspace")
    workspaces = Workspace.objects.order_by("slug")
    workspace = (chosen and workspaces.filter(slug=chosen).first()) or (
        workspaces.filter(slug="demo").first() or workspaces.first()
    )
    if workspace is not None and session.get("tally_workspace") != workspace.slug:
        session["tally_workspace"] = workspace.slug
    return workspace


class SessionGrant:
    """request.auth of a session request: every scope (a staff user may also create tokens)."""

    scopes = tuple(Scope.values)


class SessionUser:
    """The principal of a session request: the staff user, acting on one workspace."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, user, workspace: Workspace):
        self.user = user
        self.workspace = workspace

    def __str__(self) -> str:
        return f"{self.user.get_username()} in {self.workspace.slug}"


class TokenScope(permissions.BasePermission):
    """Allows a request whose token has the scope the view requires for its method.

    Views declare `required_scopes = {"GET": Scope.READ, "POST": Scope.INGEST}`; a method the
    view does not list is refused.
    """

    def has_permission(self, request, view) -> bool:
        granted = getattr(request.auth, "scopes", None)
        if not isinstance(request.auth, ApiToken | SessionGrant):
            return False
        scopes = getattr(view, "required_scopes", {})
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        required = scopes.get(method)
        if required is None or required not in granted:
            self.message = f"This token lacks the '{required}' scope." if required else "Method not allowed for tokens."
            return False
        if required == Scope.READ:
            # A read counts every event acknowledged before it, also those whose summaries are
            # deferred (analytics/settling.py): one index probe when nothing is pending.
            from analytics import settling

            settling.settle_for_read(request.user.workspace.pk)
        return True
