"""The ``archive`` command: the group, and the commands of ``instance``, ``records`` and
``lifecycle`` added to it."""

from __future__ import annotations

import re

import click
from flask.cli import FlaskGroup, ScriptInfo

from archive import create_app
from archive.cli.common import not_ready


def _create_app(*_args):
    return create_app()


#: A table or column the schema lacks, as SQLite and as PostgreSQL say it.
MISSING_SCHEMA = re.compile(r"no such (table|column)|(relation|column) \S+ does not exist")


class ArchiveGroup(FlaskGroup):
    """Commands run on a database ``archive init`` has not made (or not migrated) end with
    that advice instead of a traceback."""

    def invoke(self, ctx):
        from sqlalchemy.exc import OperationalError, ProgrammingError

        try:
            return super().invoke(ctx)
        except (OperationalError, ProgrammingError) as exc:
            if not MISSING_SCHEMA.search(str(exc)):
                raise
            with ctx.ensure_object(ScriptInfo).load_app().app_context():
                problem = not_ready()
            if problem is None:
                raise
            raise click.ClickException(problem) from None


@click.group(
    cls=ArchiveGroup, create_app=_create_app, add_default_commands=False, add_version_option=False
)
def main():
    """The oral-history archive of the Palestinian prisoners' movement."""


def _add_commands() -> None:
    from archive.cli import (
        batch,
        instance,
        lifecycle,
        migration,
        preservation,
        records,
        uploads,
    )

    for module in (instance, records, lifecycle, preservation, migration, batch, uploads):
        for command in module.COMMANDS:
            main.add_command(command)


_add_commands()
