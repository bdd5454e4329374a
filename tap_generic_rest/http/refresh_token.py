"""OAuth2 refresh token (``grant_type=refresh_token``), with rotation: a refresh token the API returns replaces
the one in use at once, in this run and (through the store, ``token_store``) in the next."""

from __future__ import annotations

import logging
import typing as t

from typing_extensions import override

from tap_generic_rest.errors import REDACTOR
from tap_generic_rest.http.oauth import TokenEndpoint, TokenGrantAuthenticator
from tap_generic_rest.http.renewing import value_at

if t.TYPE_CHECKING:
    from tap_generic_rest.http.token_store import RefreshTokenStore

LOGGER = logging.getLogger("tap-generic-rest")


class RefreshTokenAuthenticator(TokenGrantAuthenticator):
    """Access tokens from a refresh token; a rotated refresh token is kept in memory and in the store."""

    grant_type = "refresh_token"
    renews_on_401 = True

    def __init__(self, endpoint: TokenEndpoint, refresh_token: str, *, refresh_token_name: str = "refresh_token",
                 store: RefreshTokenStore | None = None) -> None:
        """Start from the store's token when it is newer than ``refresh_token`` (the setting's)."""
        super().__init__(endpoint)
        self._store = store
        self._name = refresh_token_name
        self.refresh_token = (store.load() if store else None) or refresh_token
        REDACTOR.add(self.refresh_token)
        self._warned = False

    @override
    def grant_fields(self) -> dict[str, str]:
        return {"refresh_token": self.refresh_token}

    @override
    def hint(self, code: str, status: int) -> str:
        if code == "invalid_grant":
            where = f"; or the token kept in {self._store.path} was refused" if self._store else ""
            return ("the refresh token was refused (expired, revoked, or rotated by an earlier run that could not keep "
                    f"it: set refresh_token_store); authorize again and set the refresh_token setting{where}")
        return super().hint(code, status)

    @override
    def received(self, document: t.Mapping[str, t.Any]) -> None:
        rotated = value_at(document, self._name)
        if not isinstance(rotated, str) or not rotated or rotated == self.refresh_token:
            return
        REDACTOR.add(rotated)
        self.refresh_token = rotated
        if self._store is not None:
            self._store.save(rotated)
        elif not self._warned:
            self._warned = True
            LOGGER.warning("The API rotated the refresh token, but refresh_token_store is not set: the next run "
                           "will send the old one, which the API may refuse; set refresh_token_store to a file path")
