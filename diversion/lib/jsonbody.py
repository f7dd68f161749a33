"""Strict JSON parsing shared by the API and the `screen` command (no Django, no ninja).

The screening contract's field paths (``[1].location.lat``) come from the engine, so the API
reads the raw body with this rather than through a pydantic schema.
"""

import json


class NotJson(ValueError):
    """The input is not one JSON document."""


def _no_constant(name: str):
    raise ValueError(f"{name} is not allowed in JSON")


def parse_json(raw: bytes | str):
    """Parse RAW as standard JSON (UTF-8/16/32; no NaN or Infinity). Raises NotJson."""
    if isinstance(raw, bytes | bytearray) and not raw.strip():
        raise NotJson("empty; send a JSON object or array")
    if isinstance(raw, str) and not raw.strip():
        raise NotJson("empty; send a JSON object or array")
    try:
        return json.loads(raw, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise NotJson(f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})")
    except UnicodeDecodeError:
        raise NotJson("not valid JSON (the text is not UTF-8)")
    except RecursionError:
        raise NotJson("not valid JSON (nested too deeply)")
    except ValueError as exc:  # NaN/Infinity, or an integer with too many digits
        raise NotJson(f"not valid JSON ({exc})")


def find_nul(value, path: str = "") -> str | None:
    """The path of the first string (key or value) holding a NUL character, or None.

    PostgreSQL cannot store NUL in text or jsonb, so input that will be stored is refused
    with the field named instead of failing inside the database.
    """
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return where or "body"
        elif isinstance(item, dict):
            for key, sub in item.items():
                sub_path = f"{where}.{key}" if where else str(key)
                if "\x00" in key:
                    return where or "body"
                stack.append((sub, sub_path))
        elif isinstance(item, list):
            stack.extend((sub, f"{where}[{i}]") for i, sub in enumerate(item))
    return None
