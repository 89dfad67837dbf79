"""The README stays honest: every verb, build option and site.yaml key is documented."""

from __future__ import annotations

import re

import click

from conftest import REPO
from rivals.cli import cli
from rivals.schema import SiteSettings

README = (REPO / "README.md").read_text()


def test_every_verb_and_option_is_documented() -> None:
    ctx = click.Context(cli)
    for name, command in cli.commands.items():
        assert f"rivals {name}" in README, name
        for param in command.get_params(ctx):
            for opt in param.opts:
                if opt.startswith("--") and opt != "--help":
                    assert opt in README, f"{name} {opt}"


def test_every_site_setting_is_documented() -> None:
    for key in SiteSettings.model_fields:
        assert re.search(rf"\| `{key}(\.[a-z_]+)?` \|", README), key


def test_the_readme_starts_with_the_two_commands() -> None:
    blocks = re.findall(r"```sh\n(.+?)\n```", README, re.S)
    assert "pip install -e ." in blocks[0] and "rivals build" in blocks[0]
    assert "pip install -e '.[test]'" in blocks[1] and "pytest" in blocks[1]
