"""The one place where an exception of a command becomes a message and an exit code.

Exit codes (also in README and :mod:`publisher.cli.main`):
    0  success (warnings allowed)
    1  the data does not validate (violations), or a check found differences (``--exit-code``)
    2  usage error: bad arguments or settings (also raised by commands: :class:`UsageError`)
    3  project or source files missing or unreadable, or the environment refused a file
       operation (:class:`OSError`: permission denied, read-only file system, missing file, disk
       full…; a release being written reports those itself as a release error, 4)
    4  release error (cannot write, read or find a release; a remote store refused it)
  130  interrupted (Ctrl-C)

Commands return 0 or 1 themselves and raise for everything else; :func:`exit_code` names the
code of an exception (None: not one cmq reports, a bug to show with its traceback) and
:func:`message` what :func:`publisher.cli.main.main` prints after ``cmq:`` on standard error, and
:func:`error_payload` what it prints on standard output with ``--json`` (the same error as an
object). The exception classes of the heavy subpackages are imported only when an error is
reported, so ``cmq --help`` stays fast.
"""

from __future__ import annotations

import errno

from publisher.core.errors import CmqError, ProjectError, ReleaseError, SourceError

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_SOURCE, EXIT_RELEASE = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130


class UsageError(CmqError):
    """Arguments that parse but do not make sense together (exit 2)."""

    status = 400


def _usage_errors() -> tuple[type[BaseException], ...]:
    from publisher.ontology.versioning import OntologyCheckError
    from publisher.project.settings import SettingError
    from publisher.remote.credentials import CredentialsError
    from publisher.remote.dialects import StoreConfigError
    from publisher.scaffold.init import InitError

    return UsageError, SettingError, InitError, OntologyCheckError, StoreConfigError, \
        CredentialsError


def exit_code(exc: BaseException) -> int | None:
    """The exit code for ``exc``, or None when it is not an error cmq reports."""
    from publisher.sparql.errors import QueryError

    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, SourceError | ProjectError):
        return EXIT_SOURCE
    if isinstance(exc, ReleaseError | QueryError):  # a remote store refused or failed
        return EXIT_RELEASE
    if isinstance(exc, _usage_errors()):
        return EXIT_USAGE
    if isinstance(exc, CmqError):
        return EXIT_INVALID
    if isinstance(exc, OSError) and exc.errno in _ENVIRONMENT:
        return EXIT_SOURCE
    return None


#: What the environment refused, in French (the English is the system's ``strerror``).
_ENVIRONMENT = {
    errno.EACCES: "permission refusée", errno.EPERM: "opération non permise",
    errno.EROFS: "système de fichiers en lecture seule", errno.ENOENT: "fichier ou dossier absent",
    errno.ENOTDIR: "n'est pas un dossier", errno.EISDIR: "est un dossier",
    errno.ENOSPC: "plus de place sur le disque", errno.EDQUOT: "quota de disque dépassé",
    errno.EEXIST: "existe déjà", errno.ENOTEMPTY: "dossier non vide",
    errno.EIO: "erreur d'entrée-sortie",
    errno.ENAMETOOLONG: "nom trop long", errno.ELOOP: "trop de liens symboliques",
    errno.EMFILE: "trop de fichiers ouverts", errno.EXDEV: "autre système de fichiers",
}


def _os_message(exc: OSError) -> str:
    where = " → ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
    fr = _ENVIRONMENT.get(exc.errno or 0, "erreur système")
    return f"{where + ': ' if where else ''}{fr} / {exc.strerror or exc}"


def message(exc: BaseException) -> str:
    """What to tell the person about ``exc`` (bilingual, as the exceptions word it)."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrompu / interrupted"
    if isinstance(exc, OSError) and not isinstance(exc, CmqError):
        return _os_message(exc)
    text = getattr(exc, "message", None)
    return text if isinstance(text, str) else str(exc)


def error_payload(exc: BaseException, code: int) -> dict[str, object]:
    """The error of a failed command as ``--json`` prints it: ``ok`` false, the exit code, the
    kind of error, the message and, for unreadable sources, each problem with its location."""
    payload: dict[str, object] = {"ok": False, "exit_code": code, "error": type(exc).__name__,
                                  "message": message(exc)}
    if isinstance(exc, SourceError):
        payload["problems"] = [{"file": loc.file, "row": loc.row, "column": loc.column,
                                "message": text} for loc, text in exc.problems]
    return payload

