"""Credentials for a remote store: from the environment or a netrc-style file, never argv.

Order: ``CMQ_STORE_USER`` + ``CMQ_STORE_PASSWORD`` (both, from the environment), else the file
named by the ``store_credentials`` setting, else ``$NETRC``, else ``~/.netrc`` when it exists. In
a file, the ``machine`` entry matching ``host:port`` wins over one matching ``host``, then
``default``. A file readable by others is refused (as ssh and curl's netrc checks do).

:class:`Credentials` never shows its password: not in ``repr``, not in messages — only the user
name and where it came from, so a mistake can be found without printing the secret.
"""

from __future__ import annotations

import netrc
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from publisher.core.errors import CmqError

ENV_USER = "CMQ_STORE_USER"
ENV_PASSWORD = "CMQ_STORE_PASSWORD"


class CredentialsError(CmqError):
    """The credentials configuration is unusable (file unreadable, too open, half given)."""

    status = 400


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str = field(repr=False)
    source: str = ""  # where they came from, for messages ("environment", "file /x/.netrc")

    def __str__(self) -> str:
        return f"user {self.user!r} ({self.source})"


def _from_env(env: Mapping[str, str]) -> Credentials | None:
    user, password = env.get(ENV_USER), env.get(ENV_PASSWORD)
    if user is None and password is None:
        return None
    if not user or password is None:
        raise CredentialsError(
            f"identifiants incomplets / incomplete credentials: set both {ENV_USER} and "
            f"{ENV_PASSWORD} (or neither)")
    return Credentials(user, password, f"environment {ENV_USER}/{ENV_PASSWORD}")


def _file(setting: str, env: Mapping[str, str]) -> Path | None:
    if setting:
        path = Path(setting).expanduser()
        if not path.is_file():
            raise CredentialsError(f"{path}: fichier d'identifiants absent / credentials file "
                                   "not found (setting store_credentials)")
        return path
    if env.get("NETRC"):
        return Path(env["NETRC"]).expanduser()
    home = Path(env.get("HOME", "~")).expanduser() / ".netrc"
    return home if home.is_file() else None


def _from_file(path: Path, host: str, port: int | None) -> Credentials | None:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise CredentialsError(f"{path}: illisible / unreadable ({exc.strerror})") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CredentialsError(f"{path}: lisible par d'autres / readable by others: "
                               f"chmod 600 {path}")
    try:
        parsed = netrc.netrc(str(path))
    except (netrc.NetrcParseError, OSError) as exc:
        # the parser's message may quote the line (and its password): say where, not what
        line = getattr(exc, "lineno", None)
        where = f" (ligne/line {line})" if line else ""
        raise CredentialsError(f"{path}: format netrc invalide / not a netrc file{where}") from None
    names = ([f"{host}:{port}"] if port else []) + [host, "default"]
    for name in names:
        found = parsed.hosts.get(name)
        if found is not None and found[0]:
            return Credentials(found[0], found[2] or "", f"file {path}, machine {name}")
    return None


def load_credentials(host: str, port: int | None, setting: str = "",
                     env: Mapping[str, str] | None = None) -> Credentials | None:
    """The credentials for ``host[:port]``, or None when none are configured."""
    env = os.environ if env is None else env
    found = _from_env(env)
    if found is not None:
        return found
    path = _file(setting, env)
    return _from_file(path, host, port) if path is not None else None
