"""Settings of ``cmq serve``, declared once (datasette style).

Each setting is a field of :class:`Settings` with its default and its help text; :data:`SETTINGS`
lists them as :class:`Setting` (name, default, help, type) for the command line, the environment
and ``docs/settings.md`` (a test keeps that page in step with this list).

Precedence, lowest first: the default, the environment variable ``CMQ_<NAME>`` (upper case), then
``cmq serve --setting NAME VALUE``, then the dedicated options (``--host``, ``--port``).
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from publisher.core.errors import CmqError
from publisher.project.folder import PACKAGE_ROOT

ENV_PREFIX = "CMQ_"
YASGUI_BUILD = Path("node_modules/@zazuko/yasgui/build")
#: YASGUI's files inside an installed package, copied there from node_modules when the wheel is
#: built (setup.py; absent in a checkout, where node_modules is read)
PACKAGED_YASGUI = Path(__file__).resolve().parents[1] / "_assets" / "yasgui"
_TRUE = {"1", "true", "yes", "on", "oui", "vrai"}
_FALSE = {"0", "false", "no", "off", "non", "faux"}


class SettingError(CmqError):
    """An unknown setting, or a value that does not fit its type (a usage error)."""

    status = 400


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True)
class Settings:
    """Everything the server can be told; the defaults serve the shipped campus locally."""

    project: Path = field(default=Path("."), metadata=_help(
        "Dossier du projet de campus / campus project folder."))
    host: str = field(default="127.0.0.1", metadata=_help(
        "Adresse d'écoute / interface to listen on."))
    port: int = field(default=8000, metadata=_help(
        "Port TCP d'écoute / TCP port to listen on."))
    query_timeout: float = field(default=10.0, metadata=_help(
        "Durée maximale d'une requête SPARQL, en secondes (le travail est arrêté) / "
        "SPARQL query time limit in seconds (the work is stopped, the client gets 503)."))
    max_rows: int = field(default=10000, metadata=_help(
        "Nombre maximal de résultats (lignes ou triplets) ; au-delà, réponse tronquée et "
        "signalée / maximum result rows or triples; beyond, the answer is truncated and says so."))
    workers: int = field(default=2, metadata=_help(
        "Processus d'exécution des requêtes de la file légère (les requêtes longues ont les "
        "leurs, slow_workers) / query worker processes of the light lane (long queries get "
        "their own, slow_workers)."))
    queue_timeout: float = field(default=10.0, metadata=_help(
        "Attente maximale d'un processus de requête libre, en secondes (503 au-delà ; pas de "
        "limite en nombre) / longest wait for a free query worker in seconds (503 beyond; no "
        "count limit)."))
    slow_query_after: float = field(default=0.25, metadata=_help(
        "Durée après laquelle une requête passe dans la file lente (priorité basse, un "
        "nouveau processus la remplace pour les requêtes légères et les pages) / seconds after "
        "which a running query moves to the slow lane (low priority; a fresh worker replaces "
        "it for light queries and pages)."))
    slow_workers: int = field(default=2, metadata=_help(
        "Requêtes longues simultanées au plus ; au-delà, une requête qui devient longue est "
        "arrêtée (503) / most long queries at once; beyond, a query that becomes long is "
        "stopped (503). 0: every query is stopped at slow_query_after."))
    header_timeout: float = field(default=10.0, metadata=_help(
        "Délai pour recevoir les en-têtes d'une requête HTTP, depuis l'ouverture de la "
        "connexion ou la réponse précédente, en secondes (puis 408 et fermeture) / seconds to "
        "receive a request's headers from the connection or the previous response (then 408 "
        "and close)."))
    body_timeout: float = field(default=30.0, metadata=_help(
        "Délai pour recevoir le corps d'une requête, en secondes (puis fermeture) / seconds to "
        "receive a request body (then the connection is closed)."))
    keepalive_timeout: float = field(default=5.0, metadata=_help(
        "Fermeture d'une connexion inactive après une réponse, en secondes / seconds before an "
        "idle keep-alive connection is closed."))
    max_connections: int = field(default=512, metadata=_help(
        "Connexions HTTP simultanées au plus (au-delà : la plus ancienne encore sans en-têtes "
        "est fermée, sinon 503) ; gardez-le sous la limite de descripteurs (ulimit -n) / most "
        "simultaneous HTTP connections (beyond: the oldest one still without its headers is "
        "closed, else 503); keep it below the descriptor limit (ulimit -n)."))
    max_body_bytes: int = field(default=1_048_576, metadata=_help(
        "Taille maximale du corps d'une requête HTTP, en octets (413 au-delà) / "
        "maximum HTTP request body size in bytes (413 beyond)."))
    service_allow_list: tuple[str, ...] = field(default=(), metadata=_help(
        "Points d'accès autorisés dans SERVICE (séparés par des espaces ou virgules ; vide : "
        "SERVICE refusé) / endpoints allowed in SERVICE (space or comma separated; empty: "
        "refused)."))
    cors: bool = field(default=True, metadata=_help(
        "En-têtes CORS pour GET/POST depuis toute origine, sans identifiants / CORS headers "
        "for GET/POST from any origin, without credentials."))
    reload_interval: float = field(default=5.0, metadata=_help(
        "Intervalle, en secondes, de vérification de releases/current (nouvelle version "
        "servie sans redémarrage) / seconds between checks of releases/current (hot swap)."))
    watch: bool = field(default=False, metadata=_help(
        "Reconstruire quand un tableau change (cmq serve --watch) ; en cas d'échec, la "
        "version précédente reste servie et les pages signalent le rapport / rebuild when a "
        "table changes; on failure the previous release stays served and pages link to the "
        "report."))
    build_if_missing: bool = field(default=True, metadata=_help(
        "Construire la version si releases/current n'existe pas / build the release when "
        "there is no releases/current."))
    yasgui_dir: str = field(default="", metadata=_help(
        "Dossier des fichiers de YASGUI ; vide : node_modules/@zazuko/yasgui/build du projet, "
        "ceux du paquet installé ou du dépôt / YASGUI build folder; empty: that of the "
        "project, the installed package's or the repository's."))
    map_tiles: str = field(default="https://tile.openstreetmap.org/{z}/{x}/{y}.png", metadata=_help(
        "Modèle d'URL du serveur de tuiles des cartes (chargées par le navigateur) ; vide : "
        "pas de fond de carte, les marqueurs seuls / map tile server URL template (loaded by "
        "the browser); empty: no background, markers only."))
    map_attribution: str = field(default="© OpenStreetMap contributors", metadata=_help(
        "Attribution affichée sous les cartes / attribution shown on the maps."))
    browse_cache: str = field(default="", metadata=_help(
        "Dossier où le serveur construit l'index de navigation (listes, recherche) d'une "
        "version qui n'en a pas d'à jour, jamais dans le dossier de la version ; vide : "
        "$XDG_CACHE_HOME/cmq/browse (~/.cache/cmq/browse) / folder where the server builds the "
        "browse index (lists, search) of a release without a current one, never inside the "
        "release folder; empty: $XDG_CACHE_HOME/cmq/browse (~/.cache/cmq/browse)."))
    log_level: str = field(default="info", metadata=_help(
        "Niveau de journalisation d'uvicorn / uvicorn log level."))
    store: str = field(default="", metadata=_help(
        "URL de base d'un magasin SPARQL 1.1 distant (Oxigraph server, Virtuoso…) ; vide : "
        "magasin intégré / base URL of a remote SPARQL 1.1 store; empty: the embedded store "
        "(docs/deploy.md). Identifiants : CMQ_STORE_USER / CMQ_STORE_PASSWORD ou "
        "store_credentials / credentials: CMQ_STORE_USER / CMQ_STORE_PASSWORD or "
        "store_credentials, never in the URL."))
    store_dialect: str = field(default="auto", metadata=_help(
        "Type du magasin : auto (détecté), oxigraph, virtuoso, fuseki, graphdb, neptune, "
        "generic / store kind: auto (detected from its Server header) or one of those."))
    store_query_url: str = field(default="", metadata=_help(
        "URL du point d'accès de requête, si elle diffère du dialecte / query endpoint URL, "
        "when not the dialect's."))
    store_update_url: str = field(default="", metadata=_help(
        "URL du point d'accès de mise à jour (cmq publish) / SPARQL Update endpoint URL."))
    store_gsp_url: str = field(default="", metadata=_help(
        "URL du Graph Store Protocol (cmq publish) / Graph Store HTTP Protocol endpoint URL."))
    store_credentials: str = field(default="", metadata=_help(
        "Fichier d'identifiants au format netrc ; vide : $NETRC ou ~/.netrc s'il existe / "
        "netrc-style credentials file; empty: $NETRC or ~/.netrc when present."))

    def yasgui_assets(self) -> Path | None:
        """The YASGUI build folder: the setting, else the project's, else the installed
        package's, else the repository's."""
        if self.yasgui_dir:
            candidates = [Path(self.yasgui_dir)]
        else:
            candidates = [self.project / YASGUI_BUILD, PACKAGED_YASGUI,
                          PACKAGE_ROOT / YASGUI_BUILD]
        return next((c.resolve() for c in candidates if c.is_dir()), None)


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str
    type: type

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.name.upper()


def _declared() -> tuple[Setting, ...]:
    hints = typing.get_type_hints(Settings)
    out = []
    for f in dataclasses.fields(Settings):
        hint = hints[f.name]
        kind = tuple if typing.get_origin(hint) is tuple else hint
        out.append(Setting(f.name, f.default, str(f.metadata["help"]), kind))
    return tuple(out)


#: The settings, in declaration order.
SETTINGS: tuple[Setting, ...] = _declared()
_BY_NAME = {s.name: s for s in SETTINGS}


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def parse_value(setting: Setting, raw: str) -> object:
    """Turn the text of a command line or environment value into the setting's type."""
    text = raw.strip()
    try:
        if setting.type is bool:
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise ValueError("true/false attendu / expected")
        if setting.type is int:
            return int(text)
        if setting.type is float:
            value = float(text)
            if math.isnan(value) or value < 0:
                raise ValueError("nombre positif attendu / non-negative number expected")
            return value
        if setting.type is tuple:
            return tuple(p for p in text.replace(",", " ").split() if p)
        if setting.type is Path:
            return Path(text)
        return text
    except ValueError as exc:
        raise SettingError(
            f"réglage {setting.name} : valeur invalide / invalid value {raw!r} ({exc})"
        ) from exc


def load_settings(
    overrides: Iterable[tuple[str, str]] = (),
    env: Mapping[str, str] | None = None,
    **explicit: object,
) -> Settings:
    """Settings from the defaults, ``env`` (``CMQ_*``), ``overrides`` and ``explicit`` values.

    ``overrides`` are ``(name, text)`` pairs (``--setting``); ``explicit`` holds already typed
    values (``--host``, ``--port``), ``None`` meaning "not given". An unknown name is an error.
    """
    values: dict[str, object] = {}
    for s in SETTINGS:
        if env is not None and s.env_var in env:
            values[s.name] = parse_value(s, env[s.env_var])
    for name, raw in overrides:
        setting = _BY_NAME.get(_key(name))
        if setting is None:
            known = ", ".join(_BY_NAME)
            raise SettingError(f"réglage inconnu / unknown setting {name!r} (known: {known})")
        values[setting.name] = parse_value(setting, raw)
    for name, value in explicit.items():
        if name not in _BY_NAME:
            raise SettingError(f"réglage inconnu / unknown setting {name!r}")
        if value is not None:
            values[name] = value
    settings = Settings(**values)  # type: ignore[arg-type]
    _check(settings)
    return settings


def _check(s: Settings) -> None:
    problems = []
    if not 0 < s.port < 65536:
        problems.append(f"port {s.port}: 1..65535")
    for name in ("workers", "max_rows", "max_body_bytes", "max_connections"):
        if int(getattr(s, name)) < 1:
            problems.append(f"{name}: ≥ 1")
    if s.slow_workers < 0:
        problems.append("slow_workers: ≥ 0")
    for name in ("query_timeout", "queue_timeout", "slow_query_after", "header_timeout",
                 "body_timeout", "keepalive_timeout"):
        if float(getattr(s, name)) <= 0:
            problems.append(f"{name}: > 0")
    if s.store and not _plain_url(s.store):
        # never echo the value: it may hold a password
        problems.append("store: URL http(s):// sans identifiants / an http(s) URL without "
                        "credentials (use CMQ_STORE_USER / CMQ_STORE_PASSWORD)")
    for name in ("store_query_url", "store_update_url", "store_gsp_url"):
        if getattr(s, name) and not _plain_url(getattr(s, name)):
            problems.append(f"{name}: URL http(s):// sans identifiants / an http(s) URL "
                            "without credentials")
    if problems:
        raise SettingError("réglages invalides / invalid settings: " + "; ".join(problems))


def _plain_url(url: str) -> bool:
    """An http(s) URL with a host and no user information (``user:password@``)."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and "@" not in parts.netloc


def show_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return " ".join(str(v) for v in value) or "(vide / empty)"
    if value == "":
        return "(vide / empty)"
    return str(value)


def settings_table() -> str:
    """The Markdown table of the settings, as written in ``docs/settings.md``."""
    rows = [
        "| réglage / setting | variable | défaut / default | description |",
        "|---|---|---|---|",
    ]
    for s in SETTINGS:
        rows.append(f"| `{s.name}` | `{s.env_var}` | `{show_value(s.default)}` | {s.help} |")
    return "\n".join(rows) + "\n"
