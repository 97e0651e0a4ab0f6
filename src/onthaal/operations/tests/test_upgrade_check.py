"""``onthaal upgrade --check``'s verdicts per operation (PostgreSQL's behaviour), on the
project's real models; tests/test_upgrade.py runs the command on a previous release's
database."""

from __future__ import annotations

import uuid

import pytest
from django.core.management import call_command
from django.db import connection, migrations, models
from django.db.migrations.executor import MigrationExecutor

from onthaal.operations import upgrade


@pytest.fixture
def effect(db):
    state = MigrationExecutor(connection).loader.project_state()

    def verdict(operation, app_label: str = "queue") -> str:
        return upgrade._effect(operation, state, app_label, "default")

    verdict.state = state
    return verdict


def test_a_constant_default_is_quick_and_a_computed_one_writes_every_row(effect) -> None:
    assert effect(migrations.AddField("ticket", "flag", models.IntegerField(default=0))) == ""
    assert effect(migrations.AddField("ticket", "note", models.TextField(null=True))) == ""
    assert effect(
        migrations.AddField("ticket", "token", models.UUIDField(default=uuid.uuid4))
    ).startswith("adds a column with a computed default")


def test_a_type_change_rewrites_and_the_same_type_does_not(effect) -> None:
    same = effect.state.models["queue", "ticket"].fields["code"].clone()
    assert effect(migrations.AlterField("ticket", "code", same)) == ""
    assert "rewritten" in effect(migrations.AlterField("ticket", "code", models.BigIntegerField()))


def test_indexes_constraints_and_data_migrations_are_named(effect) -> None:
    index = models.Index(fields=["code"], name="ticket_code_test_idx")
    assert "writes to the table wait" in effect(migrations.AddIndex("ticket", index))
    check = models.CheckConstraint(condition=models.Q(number__gte=0), name="ticket_number_pos")
    assert "every row is checked" in effect(migrations.AddConstraint("ticket", check))
    assert "runs code" in effect(migrations.RunPython(migrations.RunPython.noop))


def test_an_up_to_date_database_has_nothing_to_run(db, capsys) -> None:
    assert upgrade.plan() == []
    call_command("upgrade", "--check")
    assert capsys.readouterr().out == "No migrations to run: the database is up to date.\n"
