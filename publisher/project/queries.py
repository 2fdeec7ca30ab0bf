"""Named, documented SPARQL queries (``queries/*.rq``) that researchers and portals start from.

Each file opens with a header of comment lines, then the query itself::

    # title: Formations par niveau et par voie          (French title, the first line)
    # title_en: Formations by level and route
    # description_fr: La question en français (facultatif, conseillé) ; lignes suivantes
    #   indentées comme ci-dessous.
    # description: What the question is, which national identifiers it uses, how to adapt it;
    #   continued on indented comment lines ("#" and at least two spaces).
    PREFIX schema: <https://schema.org/>
    SELECT …

The header ends at the first line that is not a comment. ``name`` is the file name without
``.rq``; ``text`` is the whole file, header included, so that a query editor shows the
documentation with the query. ``description`` is English; ``description_fr``, the French one, is
optional (older project queries have none) and shown first where present. The web server's query
page offers every query in a picker and opens the chosen one in the editor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from publisher.core.errors import ProjectError
from publisher.project.folder import PACKAGE_ROOT

#: The queries shipped with cmq.
QUERIES_DIR = PACKAGE_ROOT / "queries"

_KEYS = ("title", "title_en", "description")
_OPTIONAL = ("description_fr",)
_KEY_LINE = re.compile(r"^# ([a-z_]+):(.*)$")
_MORE_LINE = re.compile(r"^#  +(\S.*)$")
_FORM = re.compile(r"\b(SELECT|CONSTRUCT|DESCRIBE|ASK)\b", re.IGNORECASE)
_IRI_OR_STRING = re.compile(r"<[^<>\s]*>|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'")


class QueryFileError(ProjectError):
    """A ``queries/*.rq`` file is unreadable or its header is incomplete (HTTP 500)."""


@dataclass(frozen=True)
class NamedQuery:
    """One documented query: ``title_fr`` (first header line), ``title_en``, ``description``
    (English) and ``description_fr`` (French, empty when the header has none)."""

    name: str
    title_fr: str
    title_en: str
    description: str
    text: str
    description_fr: str = ""

    @property
    def form(self) -> str:
        """``SELECT``, ``CONSTRUCT``, ``DESCRIBE`` or ``ASK`` (the first such keyword)."""
        return query_form(self.text)


def query_form(text: str) -> str:
    """The form of a SPARQL query, skipping comment lines, IRIs and strings."""
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    match = _FORM.search(_IRI_OR_STRING.sub(" ", body))
    return match.group(1).upper() if match else ""


def parse_query(name: str, text: str) -> NamedQuery:
    """A :class:`NamedQuery` from the text of one ``.rq`` file; :class:`QueryFileError` if its
    header lacks ``title``, ``title_en`` or ``description``, or has an unknown or repeated key."""
    fields: dict[str, list[str]] = {}
    current: str | None = None
    lines = text.splitlines()

    def fail(message: str) -> QueryFileError:
        return QueryFileError(f"queries/{name}.rq: {message}")

    for number, line in enumerate(lines, start=1):
        if not line.startswith("#"):
            break
        key_match = _KEY_LINE.match(line)
        more_match = _MORE_LINE.match(line)
        if key_match:
            current = key_match.group(1)
            if current not in _KEYS + _OPTIONAL:
                raise fail(f"ligne/line {number}: clé inconnue / unknown key {current!r} "
                           f"(attendu / expected: {', '.join(_KEYS + _OPTIONAL)})")
            if current in fields:
                raise fail(f"ligne/line {number}: clé répétée / repeated key {current!r}")
            fields[current] = [key_match.group(2).strip()]
        elif more_match and current is not None:
            fields[current].append(more_match.group(1).strip())
        else:
            current = None  # a plain comment line ends the previous entry
        if number == 1 and not line.startswith("# title:"):
            raise fail("la première ligne doit être « # title: … » / "
                       "the first line must be '# title: …'")
    values = {k: " ".join(v for v in fields.get(k, []) if v) for k in _KEYS + _OPTIONAL}
    missing = [k for k in _KEYS if not values[k]]
    if missing:
        raise fail(f"en-tête incomplet / incomplete header: {', '.join(missing)} "
                   "manquant(s) / missing")
    if not query_form(text):
        raise fail("pas de requête SELECT, CONSTRUCT, DESCRIBE ou ASK / no query found")
    return NamedQuery(name, values["title"], values["title_en"], values["description"], text,
                      values["description_fr"])


def load_queries(folder: Path | str = QUERIES_DIR) -> list[NamedQuery]:
    """Every ``*.rq`` file of ``folder``, in file-name order (the order of the editor's tabs)."""
    path = Path(folder)
    if not path.is_dir():
        raise QueryFileError(f"{path}: dossier de requêtes absent / queries folder missing")
    queries = []
    for file in sorted(path.glob("*.rq")):
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise QueryFileError(f"queries/{file.name}: illisible (UTF-8 attendu) / unreadable "
                                 f"(UTF-8 expected): {exc}") from exc
        queries.append(parse_query(file.stem, text))
    return queries
