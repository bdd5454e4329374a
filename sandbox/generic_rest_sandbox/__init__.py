"""A loopback HTTP server that serves the five built-in API contracts of tap-generic-rest.

Deterministic data (same seed and scale, same records), fixed sandbox credentials
(:mod:`.credentials`), fault injection (:mod:`.faults`). Mount points on one port:

===============  ============================================  ==========================================
API              base_url                                      auth
===============  ============================================  ==========================================
avatars          ``http://HOST:PORT/avatars``                  Bearer ``sandbox-api-key``
webhooks         ``http://HOST:PORT/webhooks``                 Bearer ``sandbox-api-key``
marketing        ``http://HOST:PORT/marketing/v2``             Basic ``sandbox-api-key``:<any password>
support          ``http://HOST:PORT/support``                  Bearer ``sandbox-access-token``
oauth_offset     ``http://HOST:PORT/oauth_offset``             client ``sandbox-client-id`` /
                 token_url ``.../oauth_offset/oauth/token``    ``sandbox-client-secret``
===============  ============================================  ==========================================
"""

from .base import KEY_SEPARATOR, composite_key
from .controller import Sandbox
from .faults import Fault
from .messages import RecordedRequest
from .registry import API_NAMES

__all__ = ["API_NAMES", "KEY_SEPARATOR", "Fault", "RecordedRequest", "Sandbox", "composite_key"]
