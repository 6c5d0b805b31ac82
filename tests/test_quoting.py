"""Each shell's quoting function, round-tripped through the real shell: exact bytes back, nothing run."""

import shutil
import subprocess

import pytest
from conftest import NU, needs_nu
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nupm.activation.quoting import quote_fish, quote_nu, quote_posix

HOSTILE = "'\";&&e-$ èрт🚒♞中片-j $(touch pwned) `touch pwned` \\ \n'#'## ${HOME} %s"
# Environment values cannot hold NUL; everything else is fair game.
texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=40)

SHELLS = {
    "bash": (lambda q: ["bash", "--norc", "--noprofile", "-c", f"printf %s {q}"], quote_posix),
    "zsh": (lambda q: ["zsh", "-f", "-c", f"printf %s {q}"], quote_posix),
    "fish": (lambda q: ["fish", "--no-config", "-c", f"printf %s {q}"], quote_fish),
}


def echo_back(shell: str, text: str, cwd) -> str:
    if shell == "nu":
        argv = [NU, "-n", "--no-std-lib", "-c", f"print -n {quote_nu(text)}"]
    else:
        build, quote = SHELLS[shell]
        argv = build(quote(text))
    out = subprocess.run(argv, capture_output=True, cwd=cwd, check=True).stdout
    return out.decode("utf-8", "surrogateescape")


def available(shell: str) -> bool:
    return (NU is not None) if shell == "nu" else shutil.which(shell) is not None


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", pytest.param("nu", marks=pytest.mark.nu)])
def test_quoting_round_trips_in_real_shell(shell, tmp_path):
    if not available(shell):
        pytest.skip(f"SKIPPED LOUDLY: {shell} is not installed (tests/run.sh installs it)")

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(texts)
    @example(HOSTILE)
    @example("'#")
    @example("#")
    @example("a##'#")
    @example("")
    def check(text):
        assert echo_back(shell, text, tmp_path) == text
        assert not (tmp_path / "pwned").exists()

    check()


@needs_nu
def test_nu_raw_strings_survive_every_short_mix_of_hash_quote_and_letter(tmp_path):
    import itertools

    for length in range(4):
        for chars in itertools.product("#'a", repeat=length):
            text = "".join(chars)
            assert echo_back("nu", text, tmp_path) == text, quote_nu(text)
