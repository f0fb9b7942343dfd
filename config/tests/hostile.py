"""Hostile and generated values for the never-a-5xx suite (test_hostile_input.py).

Each field of a page is given a kind; the kind's strategy mixes values a form should
accept with values it must refuse cleanly: extreme and impossible dates, NUL bytes,
integers beyond any column, 200 KB strings, formulas, markup, malformed CSV, other
encodings and binary files.
"""

import codecs
import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import strategies as st
from PIL import Image

# Surrogates cannot travel in a UTF-8 request at all; everything else may.
CHARACTERS = st.characters(exclude_categories=("Cs",))
HUGE = "9" * 40

EDGE_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x00" * 1000,
    "\t",
    "\r\n",
    "0",
    "-1",
    "1e309",
    "NaN",
    "Infinity",
    str(2**31),
    str(2**63),
    str(-(2**63) - 1),
    HUGE,
    "0001-01-01",
    "9999-12-31",
    "0000-00-00",
    "10000-01-01",
    "-0001-01-01",
    "2024-02-30",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "2024-13-01T25:61",
    "=cmd|'/ccalc'!a0",
    "@SUM(A1)",
    "<script>alert(1)</script>",
    "{{ 7*7 }}{% debug %}",
    "' OR '1'='1",
    "../../etc/passwd",
    "%00%s%n",
    "\u202eevil",
    "😀" * 10,
    "x" * 200_000,
    "1" * 200_000,
]

hostile_text = st.one_of(st.sampled_from(EDGE_TEXT), st.text(CHARACTERS, max_size=40))
text = st.one_of(hostile_text, st.text(CHARACTERS, max_size=300))
emails = st.one_of(
    st.emails().map(str),
    hostile_text,
    st.emails().map(lambda email: email + "\x00"),
    st.emails().map(lambda email: "x" * 300 + email),
)
datetimes = st.one_of(
    st.datetimes().map(lambda moment: moment.isoformat(timespec="minutes")),
    st.sampled_from(["2031-06-01T09:00", "2031-06-01T09:00:00"]),
    hostile_text,
)
dates = st.one_of(st.dates().map(dt.date.isoformat), hostile_text)
integers = st.one_of(st.integers().map(str), st.sampled_from([str(2**63), HUGE]), hostile_text)
flags = st.one_of(st.sampled_from(["on", "true", "1", "", "false"]), hostile_text)


def choice(*values: str) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(values), hostile_text)


HTML_TAGS = ["p", "a", "img", "td", "table", "style", "script", "iframe", "svg", "form", "div"]
HTML_ATTRIBUTES = ["style", "onclick", "href", "src", "class", "onerror", "background", "mc:edit"]
CSS_WORDS = [
    "color:red",
    "position:absolute",
    "width:expression(alert(1))",
    "background:url(javascript:alert(1))",
    "background:url(https://cdn.example/a.png)",
    "background:url( 'http://evil.example/t' )",
    "behavior:url(x.htc)",
    "-moz-binding:url(x.xml#x)",
    "color:e\\78 pression(1)",
    "font-family:'a;b'",
    "width:exp/**/ression(1)",
    "@import url(https://evil.example/x.css);",
    "@media (max-width:600px){.x{color:red !important}}",
    "}</style><script>alert(1)</script>",
    "{{ full_name }}",
    ".a{color:blue}",
    "@font-face{src:url(https://f.example/f.woff)}",
    "a:hover{color:red}",
    "javascript:alert(1)",
    "\x00",
    "\\",
    "/*",
    "{",
    "}",
    ";",
    '"',
    "'",
    "(",
    ")",
]
_pieces = st.one_of(
    st.sampled_from(CSS_WORDS),
    st.sampled_from([f"<{tag}" for tag in HTML_TAGS] + [f"</{tag}>" for tag in HTML_TAGS]),
    st.sampled_from([f' {name}="' for name in HTML_ATTRIBUTES]),
    st.sampled_from([">", '">', "<!--[if mso]>", "<![endif]-->", "-->", "&#106;", "\n"]),
    st.text(max_size=12),
)
# Markup and CSS as a designer's template holds them, cut up and run together with
# every trick an attacker would try (the sanitiser's own suite: content/tests).
styled_html = st.lists(_pieces, max_size=40).map("".join)


def reference(placeholder: str) -> st.SearchStrategy[str]:
    """An object's id, taken from the test's world when the placeholder is filled in."""
    return st.one_of(st.sampled_from([placeholder, "{stranger_" + placeholder[1:]]), integers)


def references(placeholder: str) -> st.SearchStrategy[list[str]]:
    return st.lists(reference(placeholder), max_size=4)


# Files


def _csv(rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    lines = [delimiter.join(row) for row in [["email", "full_name", "comment"], *rows]]
    return "\n".join(lines).encode(encoding, errors="replace")


CSV_FILES = {
    "valid": _csv([["anna@example.org", "Анна", "постоянная"]]),
    "semicolons in cp1251": _csv(
        [["boris@example.org", "Борис", ""]], encoding="cp1251", delimiter=";"
    ),
    "utf-16": _csv([["vera@example.org", "Вера", ""]], encoding="utf-16"),
    "utf-32": _csv([["gleb@example.org", "Глеб", ""]], encoding="utf-32"),
    "koi8-r": _csv([["dina@example.org", "Дина", ""]], encoding="koi8_r"),
    "shift-jis": _csv([["eiko@example.org", "栄子", ""]], encoding="shift_jis"),
    "bom only": codecs.BOM_UTF8,
    "empty": b"",
    "header only": b"email,full_name,comment\n",
    "no email column": b"name,comment\nAnna,x\n",
    "unterminated quote": b'email,full_name\n"anna@example.org,"Anna\n',
    "quote in the middle": b'email,full_name\nanna@example.org,An"na\n',
    "cell over 128 KB": b'email,full_name\nanna@example.org,"' + b"x" * 140_000 + b'"\n',
    "unquoted cell over 128 KB": b"email,full_name\nanna@example.org," + b"y" * 140_000 + b"\n",
    "NUL in a cell": b"email,full_name\nanna@example.org,An\x00na\n",
    "NUL in the email": b"email,full_name\nan\x00na@example.org,Anna\n",
    "NUL in the header": b"em\x00ail,full_name\nanna@example.org,Anna\n",
    "bare CR line ends": b"email,full_name\ranna@example.org,Anna\rboris@example.org,B\r",
    "ragged rows": b"email\nanna@example.org,extra,cells,here\n,\n\n",
    "binary": bytes(range(256)) * 8,
    "png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
    "gzip": b"\x1f\x8b\x08\x00" + b"\xff" * 64,
    "formulas": _csv([["=1+1@example.org", "=HYPERLINK()", "+7"], ["'=x@example.org", "@a", "-b"]]),
    "duplicates in any case": _csv([["a@example.org", "A", ""], ["A@EXAMPLE.ORG", "B", ""]]),
    "long email": _csv([["x" * 300 + "@example.org", "", ""]]),
    "long name": _csv([["long@example.org", "n" * 1000, ""]]),
    "10,000 rows": _csv([[f"bulk{n}@example.org", f"Имя {n}", ""] for n in range(10_000)]),
    "500 columns": ",".join(["email", *(f"field{n}" for n in range(500))]).encode()
    + b"\nanna@example.org"
    + b",x" * 500,
    "custom fields, lists and tags": "email,Город,plan,lists,tags\nanna@example.org,Казань,"
    "=1+1,Нет такого списка,vip\nboris@example.org,,pro,,\n".encode(),
    "a column twice": b"email,City,city\nanna@example.org,a,b\n",
    "a field value over 500 characters": b"email,city\nanna@example.org," + b"z" * 600 + b"\n",
}


def _csv_upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("clients.csv", data, content_type="text/csv")


csv_files = st.one_of(
    st.sampled_from(sorted(CSV_FILES)).map(lambda name: _csv_upload(CSV_FILES[name])),
    st.binary(max_size=2000).map(_csv_upload),
    st.lists(st.lists(hostile_text, min_size=1, max_size=4), max_size=5).map(
        lambda rows: _csv_upload(_csv([[cell.replace(",", " ") for cell in row] for row in rows]))
    ),
)


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(buffer, "PNG")
    return buffer.getvalue()


IMAGE_FILES = {
    "cover.png": _png(800, 600),
    "tiny.png": _png(1, 1),
    "wide.png": _png(20_000, 1),
    "fake.png": b"not an image at all",
    "truncated.png": _png(800, 600)[:200],
    "image.svg": b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
    "empty.png": b"",
    "noext": _png(400, 400),
}

image_files = st.one_of(
    st.sampled_from(sorted(IMAGE_FILES)).map(
        lambda name: SimpleUploadedFile(name, IMAGE_FILES[name], content_type="image/png")
    ),
    st.binary(max_size=2000).map(lambda data: SimpleUploadedFile("x.png", data)),
    hostile_text,
)
