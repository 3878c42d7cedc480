"""JSON placed in a page inside `<script type="application/json">`, where the browser reads it as raw text.

Only two sequences can break out of such an element: `</` (which may close it) and `<!--` (which changes how the
rest is parsed). Writing `/` and `<` as JSON escapes there is enough; escaping every `<`, `>` and `&` as `\\u003c`
and so on, as generic encoders do, made a quiz's answers (MathML is mostly angle brackets) half again as large.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from studygen.render.markup import MATHML_NAMESPACE

# The MathML namespace attribute as it reads inside a JSON string: dropped here as site.py drops it from pages.
_JSON_MATHML_NAMESPACE = json.dumps(MATHML_NAMESPACE)[1:-1]


def script_json(data: Any) -> Markup:
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    text = text.replace("</", "<\\/").replace("<!--", "\\u003c!--").replace(_JSON_MATHML_NAMESPACE, "")
    # Not needed by JSON.parse, but harmless, and keeps the block valid JavaScript for any tool that reads it so.
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
