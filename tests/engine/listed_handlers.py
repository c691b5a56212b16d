"""A handler module an administrator lists in WAYMARK_HANDLER_MODULES (tests only)."""

from engine.handlers import handler


@handler("listed.greet")
def greet(ctx) -> dict:
    return {"greeting": f"hello {ctx.data.get('name', 'you')}"}
