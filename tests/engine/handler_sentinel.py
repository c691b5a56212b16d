"""Never imported by Waymark: tests name this module in definitions and check it stays out.

If validation or a worker imported what a definition names, this module would
appear in sys.modules.
"""


def run(ctx) -> dict:
    return {"imported_by_a_definition": True}
