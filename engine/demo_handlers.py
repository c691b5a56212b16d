"""Handlers of the demo process (engine/fixtures/demo_expense.yaml)."""

from engine.handlers import handler

POLICY_LIMIT = 5000


@handler(
    "demo.check_policy",
    description=f"Checks an expense against the policy limit ({POLICY_LIMIT}).",
    reads=["amount"],
    writes=["within_policy"],
)
def check_policy(ctx) -> dict:
    data = ctx.data if hasattr(ctx, "data") else ctx
    amount = float(data.get("amount") or 0)
    return {"within_policy": amount <= POLICY_LIMIT}


@handler(
    "demo.pay",
    description="Pays the requester (the demo only makes up a payment reference).",
    reads=["requester"],
    writes=["paid", "payment_reference"],
)
def pay(ctx) -> dict:
    data = ctx.data if hasattr(ctx, "data") else ctx
    return {"paid": True, "payment_reference": f"PAY-{data.get('requester', 'unknown')}"}
