"""The command-line conventions: --version, an expression starting with '-',
shell completion generated from the parsers (loaded by bash), help pages and a
man page in both languages, and the config file beneath the environment and
the flags."""
import json
import shutil
import subprocess

import pytest

from bptutor.app.topics import TOPICS
from bptutor.i18n import t
from helpers import ROOT, run


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch):
    """Every test here starts from no config file and no BPTUTOR_* defaults."""
    monkeypatch.setenv("BPTUTOR_CONFIG", str(tmp_path / "absent.toml"))
    for name in ("BPTUTOR_LANG", "BPTUTOR_DIGITS", "LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


def test_version():
    from bptutor import __version__
    code, out, err = run("--version")
    assert code == 0 and err == "" and out.startswith(f"bptutor {__version__} (Python 3.")


@pytest.mark.parametrize("argv, value, gradient", [
    (["-log(p)", "--vals", "p=0.5"], 0.6931471805599453, -2.0),         # d(-log p)/dp = -1/p
    (["--vals", "p=0.5", "-log(p)"], 0.6931471805599453, -2.0),
    (["-x^2", "--vals", "x=3"], -9.0, -6.0),                            # -(x^2): -2x
    (["--digits", "3", "-x^2", "--vals", "x=3"], -9.0, -6.0),
    (["--", "-x^2", "--vals", "x=3"], None, None),                      # after --, --vals is a second positional
])
def test_an_expression_may_start_with_a_minus(argv, value, gradient):
    code, out, err = run(*argv, "--json")
    if value is None:
        assert code == 2 and "unrecognized arguments" in err
        return
    assert code == 0, err
    data = json.loads(out)
    assert data["value"] == pytest.approx(value) and list(data["gradients"].values()) == [pytest.approx(gradient)]


def test_unknown_options_are_still_usage_errors():
    code, _, err = run("(x+y)*z", "--valz", "x=1")
    assert code == 2 and "unrecognized arguments: --valz" in err
    code, _, err = run("-f")                 # -f still wants its file
    assert code == 2 and "expected one argument" in err


# ---- completion ----------------------------------------------------------------------------
def bash_complete(script: str, words: list[str]) -> list[str]:
    """What bash offers after `words` (the last one being completed), with the script loaded."""
    program = (f"source {script}\nCOMP_WORDS=({' '.join(repr(w) for w in words)})\n"
               f"COMP_CWORD={len(words) - 1}\n_shtab_bptutor\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n")
    proc = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    return proc.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_loads_the_generated_script_and_completes(tmp_path):
    code, out, err = run("completion", "bash")
    assert code == 0 and err == ""
    script = tmp_path / "bptutor.bash"
    script.write_text(out, encoding="utf-8")
    assert bash_complete(script, ["bptutor", "gr"]) == ["grade"]
    from bptutor.app.cli import SUBCOMMANDS
    assert bash_complete(script, ["bptutor", ""])[:len(SUBCOMMANDS)] == list(SUBCOMMANDS)
    assert bash_complete(script, ["bptutor", "--lang", ""]) == ["en", "zh"]
    assert bash_complete(script, ["bptutor", "--form"]) == ["--format"]
    assert bash_complete(script, ["bptutor", "--format", ""]) == ["text", "md", "latex", "html"]
    assert bash_complete(script, ["bptutor", "quiz", "--le"]) == ["--level"]
    assert bash_complete(script, ["bptutor", "train", "--sched"]) == ["--schedule"]
    assert bash_complete(script, ["bptutor", "grade", "--format", "g"]) == ["gradescope"]
    assert sorted(bash_complete(script, ["bptutor", "help", "gra"])) == ["grade", "grading"]
    (tmp_path / "hw_one.toml").write_text("", encoding="utf-8")
    assert bash_complete(script, ["bptutor", "grade", str(tmp_path / "hw_")]) == [str(tmp_path / "hw_one.toml")]


@pytest.mark.parametrize("shell, marks", [("zsh", ["#compdef bptutor", "_shtab_bptutor_commands"]),
                                          ("fish", ["complete -c bptutor", "_shtab_bptutor_scan"])])
def test_zsh_and_fish_scripts_are_generated_with_localized_descriptions(shell, marks):
    code, out, _ = run("completion", shell, "--lang", "zh")
    assert code == 0 and all(mark in out for mark in marks)
    assert t("cli.command_grade", "zh") in out and "--jobs" in out and "gradescope" in out
    if shutil.which(shell):
        check = ["zsh", "-n"] if shell == "zsh" else ["fish", "--no-execute"]
        proc = subprocess.run(check, input=out, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
    if shell == "fish" and shutil.which("fish"):       # fish completes a command line without a terminal
        proc = subprocess.run(["fish", "--no-config", "-c", 'source; complete -C "bptutor gr"'], input=out,
                              capture_output=True, text=True, timeout=60)
        assert proc.stdout == "grade\t" + t("cli.command_grade", "zh") + "\n", proc.stderr


def test_completion_of_an_unknown_shell_is_a_usage_error():
    code, _, err = run("completion", "tcshh")
    assert code == 2 and "invalid choice" in err


# ---- help pages ----------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_help_page_prints_in_both_languages(lang):
    code, out, _ = run("help", "--lang", lang)
    assert code == 0 and all(topic in out for topic in TOPICS)
    assert t("help.summary_grading", lang) in out
    for topic in TOPICS:
        code, page, err = run("help", topic, "--lang", lang)
        assert code == 0 and err == "" and page == t(f"help.topic_{topic}", lang).rstrip("\n") + "\n"
    assert "bptutor grade submissions/ --jobs 4" in run("help", "grading", "--lang", lang)[1]


def test_help_on_a_command_is_its_options():
    code, out, _ = run("help", "grade", "--lang", "en")
    assert code == 0 and out.startswith("usage: bptutor grade") and "--jobs" in out
    code, _, err = run("help", "gradin")
    assert code == 2 and "invalid choice" in err


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_man_page_has_every_option_and_page(lang, tmp_path):
    code, out, _ = run("help", "--man", "--lang", lang)
    assert code == 0 and out.startswith(".TH BPTUTOR 1")
    title = t("help.topic_config", lang).split("\n")[0].upper().replace("-", "\\-")
    for needle in (r"\-\-vals", r"\-\-jobs", r"\-\-version", "BPTUTOR GRADE", ".SH " + title):
        assert needle in out
    if shutil.which("man"):
        page = tmp_path / "bptutor.1"
        page.write_text(out, encoding="utf-8")
        proc = subprocess.run(["man", "-l", str(page)], capture_output=True, text=True, timeout=60,
                              env={"MANWIDTH": "100", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
        assert proc.returncode == 0 and "--digits" in proc.stdout


# ---- the config file -----------------------------------------------------------------------
def test_config_file_then_environment_then_flags(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('lang = "zh"\ndigits = 2\n', encoding="utf-8")
    monkeypatch.setenv("BPTUTOR_CONFIG", str(config))
    argv = ["1/(1+exp(-(w0*x0+w1*x1+w2)))", "--vals", "w0=2,x0=-1,w1=-3,x1=-2,w2=-3"]
    code, out, _ = run(*argv)
    assert code == 0 and "反向传播" in out and "f = 0.73\n" in out                 # the file
    monkeypatch.setenv("BPTUTOR_LANG", "en")
    monkeypatch.setenv("BPTUTOR_DIGITS", "3")
    out = run(*argv)[1]
    assert "Backward pass" in out and "f = 0.731\n" in out                       # the environment beats the file
    out = run(*argv, "--lang", "zh", "--digits", "4")[1]
    assert "反向传播" in out and "f = 0.7311\n" in out                             # flags beat both
    monkeypatch.delenv("BPTUTOR_LANG")
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert "反向传播" in run(*argv)[1]                                             # the file beats the locale


def test_config_reaches_every_command(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('lang = "zh"\n', encoding="utf-8")
    monkeypatch.setenv("BPTUTOR_CONFIG", str(config))
    code, out, _ = run("grade", str(ROOT / "examples" / "homework.toml"))
    assert code == 0 and "得分" in out
    assert "语言" in run("help", "language")[1]
    code, _, err = run("(x", "--vals", "x=1")
    assert code == 2 and err.startswith("错误")


def test_the_default_config_path_is_the_platforms(monkeypatch, tmp_path):
    import sys

    from bptutor.app.config import config_path
    monkeypatch.delenv("BPTUTOR_CONFIG")
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
        assert config_path() == tmp_path / "bptutor" / "config.toml"
        (tmp_path / "bptutor").mkdir()
        (tmp_path / "bptutor" / "config.toml").write_text("digits = 1\n", encoding="utf-8")
        assert "f = 0.7\n" in run("sigmoid(x)", "--vals", "x=1")[1]
    else:
        assert config_path().name == "config.toml"


@pytest.mark.parametrize("text, env, words", [
    ('lang = "fr"\n', {}, ["lang = 'fr'", "en | zh"]),
    ("digits = 2.5\n", {}, ["digits = 2.5"]),
    ("colour = 1\n", {}, ["'colour'", "lang, digits"]),
    ("lang = \n", {}, ["not valid TOML"]),
    ("", {"BPTUTOR_DIGITS": "two"}, ["BPTUTOR_DIGITS=two"]),
])
def test_a_bad_config_is_an_input_error_naming_the_file(text, env, words, tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    monkeypatch.setenv("BPTUTOR_CONFIG", str(config))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code, out, err = run("x^2", "--vals", "x=1")
    assert code == 2 and out == "" and all(word in err for word in words), err
    if not env:
        assert str(config) in err


def test_no_config_folder_is_told_without_importing_platformdirs(monkeypatch, tmp_path):
    import sys

    from bptutor.app.config import read_settings
    if not sys.platform.startswith("linux"):
        pytest.skip("the shortcut is Linux's")
    monkeypatch.setitem(sys.modules, "platformdirs", None)      # importing it would fail
    env = {"HOME": str(tmp_path)}
    assert read_settings(env) == {}
    (tmp_path / ".config" / "bptutor").mkdir(parents=True)
    (tmp_path / ".config" / "bptutor" / "config.toml").write_text("digits = 1\n", encoding="utf-8")
    with pytest.raises(ImportError):                            # a folder there: platformdirs decides
        read_settings(env)
    with pytest.raises(ImportError):                            # so does an unusual $XDG_CONFIG_HOME
        read_settings({"HOME": str(tmp_path / "nowhere"), "XDG_CONFIG_HOME": "relative/dir"})
