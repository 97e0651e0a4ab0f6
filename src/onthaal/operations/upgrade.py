"""What an upgrade will do to the database: the migrations that will run and, per operation,
whether it locks or rewrites a table that holds many rows (``onthaal upgrade --check``).

The verdicts are PostgreSQL's (the production database); on SQLite, Django remakes a table for
most changes to an existing one, which is quick at the sizes an embedded install holds.
Row counts: PostgreSQL's estimate (``pg_class.reltuples``, kept by ANALYZE/autovacuum),
SQLite's ``count(*)``."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connections, migrations
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

# A table with at least this many rows is large: locking it stops the desks for a while.
LARGE_ROWS = 100_000


@dataclass
class Finding:
    operation: str
    table: str
    rows: int | None
    effect: str  # "" (quick), or what it does to the table
    large: bool = False


@dataclass
class Step:
    migration: str  # "queue.0012_..."
    findings: list[Finding] = field(default_factory=list)

    @property
    def locks_large_tables(self) -> bool:
        return any(finding.large for finding in self.findings)


def row_counts(using: str = "default") -> dict[str, int]:
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, c.reltuples::bigint FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'r' AND n.nspname = current_schema()"
            )
            return {name: max(0, int(rows)) for name, rows in cursor.fetchall()}
        tables = connection.introspection.table_names(cursor)
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 -- a table name
            counts[table] = int(cursor.fetchone()[0])
        return counts


def _type_changes(state: ProjectState, app_label: str, operation: Operation, using: str) -> bool:
    """Does an AlterField change the column's database type (PostgreSQL rewrites the table)?"""
    connection = connections[using]
    try:
        model = state.apps.get_model(app_label, operation.model_name)  # type: ignore[attr-defined]
        old = model._meta.get_field(operation.name)  # type: ignore[attr-defined]
        new = operation.field.clone()  # type: ignore[attr-defined]
        new.set_attributes_from_name(operation.name)  # type: ignore[attr-defined]
        new.model = model
        return bool(old.db_type(connection) != new.db_type(connection))
    except Exception:  # a field that cannot say without its model: assume the worst
        return True


def _effect(operation: Operation, state: ProjectState, app_label: str, using: str) -> str:
    """What the operation does to an existing table on PostgreSQL ('' when quick)."""
    if isinstance(operation, migrations.AddField):
        if operation.field.has_default() and callable(operation.field.default):
            return "adds a column with a computed default: every row is written, table locked"
        return ""  # PostgreSQL 11+: a column with a constant default is added without a rewrite
    if isinstance(operation, migrations.AlterField):
        if _type_changes(state, app_label, operation, using):
            return "changes a column's type: the table is rewritten under an exclusive lock"
        return ""
    if isinstance(operation, migrations.AddIndex):
        return "builds an index: writes to the table wait until it is built"
    if isinstance(operation, migrations.AddConstraint):
        return "adds a constraint: every row is checked while writes wait"
    if isinstance(operation, migrations.AlterUniqueTogether):
        return "builds a unique index: writes to the table wait until it is built"
    if isinstance(operation, (migrations.RunPython, migrations.RunSQL)):
        return "runs code on the data: its time depends on the rows it reads and writes"
    return ""


def _table(state: ProjectState, app_label: str, operation: Operation) -> str:
    model_name = getattr(operation, "model_name", None)
    if not model_name:
        return ""
    model_state = state.models.get((app_label, model_name.lower()))
    if model_state is None:
        return ""
    return str(model_state.options.get("db_table") or f"{app_label}_{model_state.name_lower}")


def plan(using: str = "default", large_rows: int = LARGE_ROWS) -> list[Step]:
    """The migrations ``migrate`` would run now, in order, with their findings."""
    connection = connections[using]
    executor = MigrationExecutor(connection)
    to_run = [
        migration
        for migration, backwards in executor.migration_plan(executor.loader.graph.leaf_nodes())
        if not backwards
    ]
    if not to_run:
        return []
    counts = row_counts(using)
    state = executor._create_project_state(with_applied_migrations=True)  # type: ignore[attr-defined]
    steps: list[Step] = []
    for migration in to_run:
        step = Step(f"{migration.app_label}.{migration.name}")
        for operation in migration.operations:
            table = _table(state, migration.app_label, operation)
            if table not in counts:  # a table this upgrade creates: nothing waits for it
                table = ""
            runs_code = isinstance(operation, (migrations.RunPython, migrations.RunSQL))
            effect = (
                _effect(operation, state, migration.app_label, using) if table or runs_code else ""
            )
            rows = counts.get(table) if table else None
            step.findings.append(
                Finding(
                    operation=operation.describe(),
                    table=table,
                    rows=rows,
                    effect=effect,
                    large=bool(effect and rows is not None and rows >= large_rows),
                )
            )
            operation.state_forwards(migration.app_label, state)
        steps.append(step)
    return steps
