"""Signed webhooks: audit events delivered to WebhookEndpoints, durably.

- ``addresses``: the URL rules (scheme, no credentials, no private addresses)
- ``signing``:   Standard Webhooks headers (webhook-id, -timestamp, -signature)
- ``body``:      an AuditEvent as the JSON body
- ``http``:      the SSRF-filtering HTTP session (requests-hardened)
- ``delivery``:  deliveries created with the event, sent, retried with backoff
- ``endpoints``: the only writer of endpoints (create, update, rotate, ...)
- ``tasks``:     the Django-Q2 entry point (takes a delivery id)

See docs/webhooks.md.
"""
