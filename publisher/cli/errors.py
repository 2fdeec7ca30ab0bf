"""The one place where an exception of a command becomes a message and an exit code.

Exit codes (also in README and :mod:`publisher.cli.main`):
    0  success (warnings allowed)
    1  the data does not validate (violations), or a check found differences (``--exit-code``)
    2  usage error: bad arguments or settings (also raised by commands: :class:`UsageError`)
    3  project or source files missing or unreadable
    4  release error (cannot write, read or find a release; a remote store refused it)
  130  interrupted (Ctrl-C)

Commands return 0 or 1 themselves and raise for everything else; :func:`exit_code` names the
code of an exception (None: not one cmq reports, a bug to show with its traceback) and
:func:`message` what :func:`publisher.cli.main.main` prints after ``cmq:`` on standard error. The exception classes of the heavy
subpackages are imported only when an error is reported, so ``cmq --help`` stays fast.
"""

from __future__ import annotations

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
    return None


def message(exc: BaseException) -> str:
    """What to tell the person about ``exc`` (bilingual, as the exceptions word it)."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrompu / interrupted"
    text = getattr(exc, "message", None)
    return text if isinstance(text, str) else str(exc)

