"""Django-Q2 entry point for webhook deliveries (takes an id; a duplicate is a no-op)."""


def deliver(delivery_id: int) -> str:
    from engine.webhooks import delivery

    return delivery.deliver(delivery_id)
