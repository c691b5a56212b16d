"""Path converters: a URL whose id, code or key cannot exist is a 404 before any query."""

from __future__ import annotations

# Primary keys are 64-bit (BigAutoField): every id a table can hold is a valid URL.
MAX_ID = 2**63 - 1


class IdConverter:
    # Up to 19 digits; a number beyond MAX_ID does not match (a JSON 404, engine/api/urls.py).
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 0 < number <= MAX_ID:
            raise ValueError("out of range")
        return number

    def to_url(self, value: int) -> str:
        return str(value)


class ProcessCodeConverter:
    # engine.models.definitions.code_validator
    regex = "[a-z0-9][a-z0-9_-]{0,63}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class ElementKeyConverter:
    # engine.models.definitions.KEY_PATTERN
    regex = r"[A-Za-z_][A-Za-z0-9_.\-]{0,63}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
