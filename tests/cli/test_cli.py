"""The command line in process: flags and env values, busy ports and bad files get one clear line."""

from __future__ import annotations

import pytest

from simulator.cli import main


@pytest.mark.parametrize(("argv", "env", "expected"), [
    (["serve", "--port", "http"], {}, "argument --port: invalid port 'http'"),
    (["serve"], {"POSTMAN_SIM_PORT": "99999"}, "invalid port '99999': a whole number 0-65535 (flag or POSTMAN_SIM_"),
    (["serve"], {"POSTMAN_SIM_CLOCK": "fast"}, "invalid choice 'fast': one of real, manual"),
    (["serve"], {"POSTMAN_SIM_SPEED": "0"}, "invalid speed '0': speed must be > 0"),
    (["serve"], {"POSTMAN_SIM_SEED": "abc"}, "invalid seed 'abc'"),
    (["serve", "--log-format", "xml"], {}, "invalid choice 'xml': one of text, json"),
    (["serve", "--snapshot-every", "0.01s"], {}, "invalid snapshot interval '0.01s': a duration of at least 1s"),
    (["serve"], {"POSTMAN_SIM_SNAPSHOT_EVERY": "0.5"}, "invalid snapshot interval '0.5': a duration of at least 1s"),
    (["serve", "--nope"], {}, "unrecognized arguments: --nope"),
    (["sink", "--port", "70000"], {}, "invalid port '70000'"),
    (["sink"], {"POSTMAN_SIM_SINK_PORT": "x"}, "invalid port 'x': a whole number 0-65535 (flag or POSTMAN_SIM_SINK"),
    (["sink", "--keep", "-1"], {}, "invalid value '-1': a whole number >= 1"),
])
def test_bad_flags_and_env_values_get_one_clear_line(argv, env, expected, monkeypatch, capsys) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err and err.startswith("postman-sim")


def test_sink_in_a_busy_port_is_one_clear_line(capsys) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["sink", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"postman-sim: cannot listen on 127.0.0.1:{port}") and "Traceback" not in err


def test_bad_files_get_one_clear_line(tmp_path, capsys) -> None:
    assert main(["serve", "--scenarios", str(tmp_path / "missing.yaml")]) == 2
    assert capsys.readouterr().err == f"postman-sim: scenarios file not found: {tmp_path / 'missing.yaml'}\n"
    assert main(["serve", "--scenarios", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith(f"postman-sim: cannot read scenarios file {tmp_path}: ")
    bad = tmp_path / "bad.yaml"
    bad.write_text("mode: sideways\n")
    assert main(["serve", "--scenarios", str(bad)]) == 2
    assert "mode: must be 'open' or 'strict'" in capsys.readouterr().err


def test_webhook_url_flag_replaces_the_variable(monkeypatch) -> None:
    from simulator.cli import build_parser
    from simulator.cli.sink import apply_serve_flags
    from tests.conftest import default_config

    monkeypatch.setenv("POSTMAN_SIM_WEBHOOK_URL", "http://127.0.0.1:1/a http://127.0.0.1:1/b")
    from_env = apply_serve_flags(default_config(), build_parser().parse_args(["serve"]))
    assert [s["url"] for s in from_env.section("webhooks")["from_cli"]] == ["http://127.0.0.1:1/a", "http://127.0.0.1:1/b"]
    args = build_parser().parse_args(["serve", "--webhook-url", "http://127.0.0.1:1/flag"])
    assert [s["url"] for s in apply_serve_flags(default_config(), args).section("webhooks")["from_cli"]] == [
        "http://127.0.0.1:1/flag"]
