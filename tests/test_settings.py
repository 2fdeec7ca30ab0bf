"""Settings: declared once, documented in docs/settings.md, overridable by env and --setting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from publisher.project.settings import (
    SETTINGS,
    Setting,
    SettingError,
    Settings,
    load_settings,
    parse_value,
    settings_table,
)

DOC = Path(__file__).resolve().parents[1] / "docs" / "settings.md"
_BLOCK = re.compile(r"<!-- settings:begin[^>]*-->\n(.*?)<!-- settings:end -->", re.DOTALL)


def test_docs_table_is_the_declared_list() -> None:
    text = DOC.read_text(encoding="utf-8")
    m = _BLOCK.search(text)
    assert m, "docs/settings.md has no generated settings block"
    assert m.group(1) == settings_table(), "regenerate the table in docs/settings.md"


def test_every_setting_documented_by_name_and_env_var() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in text or s.env_var not in text]
    assert not missing, f"settings not documented in docs/settings.md: {missing}"


def test_list_matches_dataclass_and_has_help() -> None:
    names = [s.name for s in SETTINGS]
    assert names == list(Settings.__dataclass_fields__)
    assert {"host", "port", "query_timeout", "max_rows", "workers", "max_body_bytes",
            "service_allow_list", "cors", "reload_interval", "yasgui_dir"} <= set(names)
    for s in SETTINGS:
        assert s.help.strip(), s.name
        assert getattr(Settings(), s.name) == s.default


def test_defaults() -> None:
    s = load_settings(env={})
    assert (s.host, s.port, s.query_timeout, s.max_rows, s.workers) == (
        "127.0.0.1", 8000, 10.0, 10000, 2)
    assert s.service_allow_list == () and s.cors is True


def test_precedence_env_then_setting_then_explicit() -> None:
    env = {"CMQ_PORT": "9000", "CMQ_MAX_ROWS": "7", "CMQ_CORS": "non", "OTHER": "x"}
    s = load_settings(env=env)
    assert (s.port, s.max_rows, s.cors) == (9000, 7, False)
    s = load_settings([("port", "9100"), ("max-rows", "8")], env=env)
    assert (s.port, s.max_rows) == (9100, 8)
    s = load_settings([("port", "9100")], env=env, port=9200, host=None)
    assert (s.port, s.host) == (9200, "127.0.0.1")


def test_types_are_parsed() -> None:
    s = load_settings(
        [("service_allow_list", "http://a.example/sparql, http://b.example/sparql"),
         ("query_timeout", "1.5"), ("project", "/tmp/x")],
        env={},
    )
    assert s.service_allow_list == ("http://a.example/sparql", "http://b.example/sparql")
    assert s.query_timeout == 1.5
    assert s.project == Path("/tmp/x")


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ([("nope", "1")], "unknown setting"),
        ([("port", "eighty")], "invalid value"),
        ([("cors", "maybe")], "invalid value"),
        ([("port", "0")], "port"),
        ([("workers", "0")], "workers"),
        ([("query_timeout", "-1")], "invalid value"),
    ],
)
def test_bad_settings_are_usage_errors(overrides: list[tuple[str, str]], fragment: str) -> None:
    with pytest.raises(SettingError) as info:
        load_settings(overrides, env={})
    assert fragment in info.value.message
    assert info.value.status == 400


def test_parse_value_bool_words() -> None:
    flag = Setting("cors", True, "h", bool)
    assert [parse_value(flag, v) for v in ("true", "1", "oui", "off", "NO")] == [
        True, True, True, False, False]


def test_yasgui_assets_found_from_repository(tmp_path: Path) -> None:
    found = Settings(project=tmp_path).yasgui_assets()
    assert found is not None and (found / "yasgui.min.js").is_file()
    own = tmp_path / "assets"
    own.mkdir()
    assert Settings(yasgui_dir=str(own)).yasgui_assets() == own.resolve()
    assert Settings(yasgui_dir=str(tmp_path / "missing")).yasgui_assets() is None


def test_cli_serve_lists_settings_in_force(capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from publisher.cli.main import main

    monkeypatch.setenv("CMQ_MAX_ROWS", "123")
    code = main(["serve", "--list-settings", "--setting", "workers", "3", "--port", "9001"])
    out = capsys.readouterr().out
    assert code == 0
    values = dict(line.split()[:2] for line in out.splitlines())
    assert values["max_rows"] == "123" and values["workers"] == "3" and values["port"] == "9001"
    assert set(values) == {s.name for s in SETTINGS}


def test_cli_serve_bad_setting_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    from publisher.cli.main import EXIT_USAGE, main

    assert main(["serve", "--setting", "nope", "1"]) == EXIT_USAGE
    assert "unknown setting" in capsys.readouterr().err
