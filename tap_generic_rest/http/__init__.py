"""HTTP: authentication, OAuth tokens, the same-host session, rate limits, responses and failures."""
