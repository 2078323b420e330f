"""JSON parsing that remembers the line of every object and array.

Rasa's JSON NLU files hold thousands of examples; a problem in one must name its line.
The pure-Python scanner of the standard library lets us wrap object and array parsing,
so objects load as `YDict` and arrays as `YList` with `.line` set, like YAML files.
"""

from __future__ import annotations

import bisect
import json
import json.decoder
import json.scanner
import re
from typing import Any

from stratus.shared.exceptions import ProjectError
from stratus.shared.problems import Problem
from stratus.shared.yaml_io import YDict, YList

_NEWLINE = re.compile("\n")


class _LocatedDecoder(json.JSONDecoder):
    def __init__(self, text: str) -> None:
        super().__init__()
        line_starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]

        def line_at(index: int) -> int:
            return bisect.bisect_right(line_starts, index)

        def parse_object(
            s_and_end: tuple[str, int],
            strict: bool,
            scan_once: Any,
            object_hook: Any,
            object_pairs_hook: Any,
            memo: dict[str, str] | None = None,
        ) -> tuple[YDict, int]:
            start = s_and_end[1] - 1  # the index of "{"
            result, end = json.decoder.JSONObject(  # type: ignore[attr-defined]
                s_and_end, strict, scan_once, None, YDict, memo
            )
            result.line = line_at(start)
            return result, end

        def parse_array(s_and_end: tuple[str, int], scan_once: Any) -> tuple[YList, int]:
            start = s_and_end[1] - 1
            items, end = json.decoder.JSONArray(s_and_end, scan_once)  # type: ignore[attr-defined]
            result = YList(items)
            result.line = line_at(start)
            result.item_lines = [getattr(item, "line", None) or result.line for item in items]
            return result, end

        self.parse_object = parse_object
        self.parse_array = parse_array
        self.scan_once = json.scanner.py_make_scanner(self)  # type: ignore[attr-defined]


def parse_json(text: str, name: str) -> Any:
    """Parse JSON text into YDict/YList/scalars, turning errors into a located ProjectError."""
    try:
        return _LocatedDecoder(text).decode(text)
    except json.JSONDecodeError as e:
        raise ProjectError(
            Problem(f"invalid JSON: {e.msg} (column {e.colno})", name, e.lineno)
        ) from None
    except RecursionError:
        raise ProjectError(Problem("invalid JSON: nested too deeply", name)) from None
