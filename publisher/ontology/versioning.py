"""Versioning of the ontology: which terms a change removes, renames or adds, and whether the
version number says so (docs/decisions/0013-vocabulary-publishing.md).

A *term* is a subject with ``rdfs:isDefinedBy <https://w3id.org/cmq/ontology>``: classes,
properties, concept schemes and concepts, each with its kind. Each released version of the
ontology leaves its term list in ``ontology/terms/<version>.txt`` (``cmq ontology-check
--record``), committed with the ontology. :func:`check_ontology` compares the working ontology with
a baseline — by default the newest term list, else ``--against`` a term list, a ``.ttl`` file, a
folder of them or a git revision — and fails when

- a term is removed or changes kind (a rename is a removal plus an addition) and the breaking key
  of ``owl:versionInfo`` did not change (major version, or minor before 1.0:
  :func:`publisher.project.shipped.breaking_key`);
- the version goes backwards, ``owl:versionIRI`` is not ``{namespace}{versionInfo}``, or
  ``ontology/CHANGELOG.md`` has no ``## <version>`` section.

Terms added under an already released version number are a warning (bump the minor version).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import SKOS

from publisher.core.errors import CmqError
from publisher.core.namespaces import CMQ_NS, ONTOLOGY_IRI
from publisher.project.shipped import shipped_path
from publisher.project.versions import breaking_key, parse_version

TERMS_FOLDER = "terms"
CHANGELOG = "CHANGELOG.md"
#: rdf:type → kind written in a term list (first match wins).
KINDS: tuple[tuple[URIRef, str], ...] = (
    (OWL.Class, "class"),
    (OWL.ObjectProperty, "object-property"),
    (OWL.DatatypeProperty, "datatype-property"),
    (OWL.AnnotationProperty, "annotation-property"),
    (RDF.Property, "property"),
    (OWL.NamedIndividual, "individual"),
    (SKOS.ConceptScheme, "concept-scheme"),
    (SKOS.Concept, "concept"),
)
_HEADER = re.compile(r"^# cmq ontology terms, version (\S+)")


class OntologyCheckError(CmqError):
    """The baseline or the ontology cannot be read (a usage error for the command line)."""

    status = 400


@dataclass(frozen=True)
class Terms:
    """The terms of one version of the ontology: IRI → kind."""

    version: str | None
    terms: dict[str, str]
    source: str  # where they come from (for messages)
    labels: dict[str, frozenset[str]] = field(default_factory=dict, compare=False)


@dataclass
class Check:
    current: Terms
    baseline: Terms
    removed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    changed_kind: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def breaking(self) -> bool:
        return bool(self.removed or self.changed_kind)

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "version": self.current.version,
                "baseline": self.baseline.source, "baseline_version": self.baseline.version,
                "removed": self.removed, "added": self.added, "changed_kind": self.changed_kind,
                "renamed": [list(p) for p in self.renamed], "errors": self.errors,
                "warnings": self.warnings}

    def text(self) -> str:
        head = (f"ontologie / ontology {self.current.version} ↔ {self.baseline.source} "
                f"({self.baseline.version}): +{len(self.added)} −{len(self.removed)} terme(s)")
        lines = [head]
        lines += [f"  retiré / removed: {t}" for t in self.removed]
        lines += [f"  nature changée / kind changed: {t}" for t in self.changed_kind]
        lines += [f"  renommé ? / renamed? {a} → {b}" for a, b in self.renamed]
        lines += [f"  ajouté / added: {t}" for t in self.added]
        lines += [f"erreur / error: {e}" for e in self.errors]
        lines += [f"avertissement / warning: {w}" for w in self.warnings]
        lines.append("OK" if self.ok else "ÉCHEC / FAILED")
        return "\n".join(lines)


def terms_of(g: Graph, source: str = "ontology") -> Terms:
    """The own terms of an ontology graph, its ``owl:versionInfo`` and their labels."""
    ont = URIRef(ONTOLOGY_IRI)
    terms: dict[str, str] = {}
    labels: dict[str, frozenset[str]] = {}
    for s in set(g.subjects(RDFS.isDefinedBy, ont)):
        if not isinstance(s, URIRef):
            continue
        types = set(g.objects(s, RDF.type))
        terms[str(s)] = next((k for t, k in KINDS if t in types), "other")
        labels[str(s)] = frozenset(str(o).casefold() for p in (RDFS.label, SKOS.prefLabel)
                                   for o in g.objects(s, p) if isinstance(o, Literal))
    version = g.value(ont, OWL.versionInfo)
    return Terms(str(version) if version is not None else None, terms, source, labels)


def load_ontology(folder: Path) -> Graph:
    g = Graph()
    files = sorted(folder.glob("*.ttl")) if folder.is_dir() else [folder]
    if not files:
        raise OntologyCheckError(f"{folder}: aucun fichier .ttl / no .ttl file")
    for f in files:
        try:
            g.parse(f, format="turtle")
        except Exception as exc:  # rdflib raises many kinds of parser errors
            raise OntologyCheckError(f"{f}: illisible / unreadable: {exc}") from exc
    return g


def terms_text(terms: Terms) -> str:
    head = (f"# cmq ontology terms, version {terms.version} "
            "(written by `cmq ontology-check --record`; one line per term: kind IRI)\n")
    return head + "".join(f"{kind} {iri}\n" for iri, kind in sorted(terms.terms.items()))


def read_terms_file(path: Path) -> Terms:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise OntologyCheckError(f"{path}: illisible / unreadable: {exc}") from exc
    m = _HEADER.match(lines[0]) if lines else None
    version = m.group(1) if m else path.stem
    terms = {}
    for line in lines:
        if line.strip() and not line.startswith("#"):
            kind, _, iri = line.strip().partition(" ")
            terms[iri.strip()] = kind
    return Terms(version, terms, str(path))


def recorded_versions(ontology_dir: Path) -> list[Path]:
    """The term lists of released versions, oldest first."""
    found = []
    for p in (ontology_dir / TERMS_FOLDER).glob("*.txt"):
        try:
            found.append((parse_version(p.stem), p))
        except ValueError:
            continue
    return [p for _, p in sorted(found)]


def _git(folder: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True,
                              text=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OntologyCheckError(f"git: {exc}") from exc
    if done.returncode != 0:
        raise OntologyCheckError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def terms_at_revision(ontology_dir: Path, rev: str) -> Terms:
    """The terms of the ontology folder as it was at a git revision (tag, branch, commit)."""
    listed = _git(ontology_dir, "ls-tree", "--full-name", "--name-only", rev, "--", ".")
    names = [n for n in listed.splitlines() if n.endswith(".ttl")]
    if not names:
        raise OntologyCheckError(f"{rev}:{ontology_dir.name}/: aucun fichier .ttl / no .ttl file")
    g = Graph()
    for name in names:
        g.parse(data=_git(ontology_dir, "show", f"{rev}:{name}"), format="turtle")
    return terms_of(g, f"git {rev}")


def load_baseline(ontology_dir: Path, against: str | None = None) -> Terms:
    """The version to compare with: ``against`` (term list, ``.ttl`` file or folder, git
    revision), else the newest term list in ``ontology/terms/``."""
    if against is None:
        recorded = recorded_versions(ontology_dir)
        if not recorded:
            raise OntologyCheckError(f"{ontology_dir / TERMS_FOLDER}: aucune liste de termes "
                                     "publiée / no released term list (cmq ontology-check "
                                     "--record)")
        return read_terms_file(recorded[-1])
    path = Path(against)
    if path.suffix == ".txt" and path.is_file():
        return read_terms_file(path)
    if path.exists():
        return terms_of(load_ontology(path), str(path))
    return terms_at_revision(ontology_dir, against)


def _compare(check: Check) -> None:
    cur, base = check.current.terms, check.baseline.terms
    check.removed = sorted(set(base) - set(cur))
    check.added = sorted(set(cur) - set(base))
    check.changed_kind = sorted(t for t in set(base) & set(cur) if base[t] != cur[t])
    for r in check.removed:
        for a in check.added:
            if base[r] == cur[a] and _same_name(check, r, a):
                check.renamed.append((r, a))


def _same_name(check: Check, old: str, new: str) -> bool:
    """A removed and an added term that look like one renamed: a shared label, or the same
    local name but for case (a term list has no labels)."""
    shared = check.baseline.labels.get(old, frozenset()) & check.current.labels.get(
        new, frozenset())
    return bool(shared) or old.rsplit("/", 1)[-1].casefold() == new.rsplit("/", 1)[-1].casefold()


def check_ontology(ontology_dir: Path | None = None, against: str | None = None, *,
                   changelog: Path | None = None) -> Check:
    """Compare the ontology in ``ontology_dir`` (default: the shipped one) with a baseline."""
    folder = ontology_dir or shipped_path("ontology")
    current = terms_of(load_ontology(folder), str(folder))
    baseline = load_baseline(folder, against)
    check = Check(current, baseline)
    _compare(check)
    _check_versions(check, load_ontology(folder))
    log = changelog if changelog is not None else folder / CHANGELOG
    if log.is_file() and current.version:
        heading = re.compile(rf"^##\s+\[?{re.escape(current.version)}\]?(\s|$)", re.MULTILINE)
        if not heading.search(log.read_text(encoding="utf-8")):
            check.errors.append(f"{log.name}: pas de section « ## {current.version} » / no "
                                f"section for version {current.version}")
    elif current.version:
        check.errors.append(f"{log}: journal des changements absent / changelog missing")
    return check


def _check_versions(check: Check, g: Graph) -> None:
    cur, base = check.current.version, check.baseline.version
    if cur is None:
        check.errors.append("owl:versionInfo absent")
        return
    try:
        parse_version(cur)
    except ValueError as exc:
        check.errors.append(f"owl:versionInfo: {exc}")
        return
    iri = g.value(URIRef(ONTOLOGY_IRI), OWL.versionIRI)
    if str(iri) != CMQ_NS + cur:
        check.errors.append(f"owl:versionIRI {iri} ≠ {CMQ_NS}{cur}")
    if base is None:
        return
    try:
        if parse_version(cur) < parse_version(base):
            check.errors.append(f"version {cur} < {base} : la version recule / goes backwards")
            return
        same_key = breaking_key(cur) == breaking_key(base)
    except ValueError as exc:
        check.errors.append(f"version de référence / baseline version: {exc}")
        return
    if check.breaking and same_key:
        check.errors.append(
            f"{len(check.removed)} terme(s) retiré(s) et {len(check.changed_kind)} changé(s) de "
            f"nature sans changement de version majeure ({base} → {cur}) : changement cassant non "
            f"annoncé / {len(check.removed)} term(s) removed and {len(check.changed_kind)} "
            f"changed kind without a major version bump: unannounced breaking change")
    if check.added and cur == base:
        check.warnings.append(
            f"{len(check.added)} terme(s) ajouté(s) à la version publiée {cur} : passez à une "
            f"version mineure suivante / term(s) added to released version {cur}: bump the "
            "minor version")


def record_terms(ontology_dir: Path | None = None) -> Path:
    """Write the term list of the current version (``ontology/terms/<version>.txt``)."""
    folder = ontology_dir or shipped_path("ontology")
    terms = terms_of(load_ontology(folder), str(folder))
    if terms.version is None:
        raise OntologyCheckError("owl:versionInfo absent")
    path = folder / TERMS_FOLDER / f"{terms.version}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(terms_text(terms), encoding="utf-8")
    return path
