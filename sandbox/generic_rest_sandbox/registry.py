"""The five sandbox APIs, in the order the contract lists them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .avatars import AvatarsApi
from .marketing import MarketingApi
from .oauth_offset import OAuthOffsetApi
from .support import SupportApi
from .webhooks import WebhooksApi

if TYPE_CHECKING:
    from .base import Api

API_NAMES = ("avatars", "webhooks", "marketing", "support", "oauth_offset")
DEFAULT_TOKEN_TTL = 3600


def build_apis(scale: int = 1, seed: int = 42, token_ttl: int = DEFAULT_TOKEN_TTL) -> dict[str, Api]:
    """One instance of every API, keyed by name, with datasets built from ``(scale, seed)``."""
    apis: list[Api] = [
        AvatarsApi(scale, seed),
        WebhooksApi(scale, seed),
        MarketingApi(scale, seed),
        SupportApi(scale, seed),
        OAuthOffsetApi(scale, seed, token_ttl=token_ttl),
    ]
    assert tuple(api.name for api in apis) == API_NAMES
    return {api.name: api for api in apis}
