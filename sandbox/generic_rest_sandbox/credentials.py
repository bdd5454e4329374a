"""The fixed sandbox credentials (not secrets: the sandbox only ever listens on loopback).

- ``avatars``, ``webhooks``: ``Authorization: Bearer <API_KEY>``.
- ``marketing``: HTTP Basic with username ``API_KEY``; the password is ignored.
- ``support``: ``Authorization: Bearer <ACCESS_TOKEN>``.
- ``oauth_offset``: client credentials ``CLIENT_ID`` / ``CLIENT_SECRET`` at the token URL.
"""

API_KEY = "sandbox-api-key"
ACCESS_TOKEN = "sandbox-access-token"
CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"
