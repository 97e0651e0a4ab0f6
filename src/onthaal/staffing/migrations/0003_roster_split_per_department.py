"""Rosters per department (issue #15): a team lead proposes and publishes their own
department's roster at a location. A roster of a whole location's week is split: the front
shifts go to the roster of the department they serve, the other shifts to the roster of the
person's own department; a roster without any shift goes to the location's first department
(by name), or is removed when the location has none. The unmet constraints follow the same
way. Every split roster keeps the status of the one it came from."""

from django.db import migrations

FRONT = ("desk", "quick", "reception")


def split_per_department(apps, schema_editor):
    Roster = apps.get_model("staffing", "Roster")
    Assignment = apps.get_model("staffing", "RosterAssignment")
    Profile = apps.get_model("staffing", "StaffProfile")
    Department = apps.get_model("organisation", "Department")
    own = dict(Profile.objects.values_list("user_id", "department_id"))
    for roster in Roster.objects.filter(department__isnull=True).order_by("pk"):
        first = (
            Department.objects.filter(locations=roster.location_id)
            .order_by("name")
            .values_list("pk", flat=True)
            .first()
        )
        groups = {}
        rows = Assignment.objects.filter(roster=roster).values_list(
            "pk", "user_id", "department_id", "place"
        )
        for pk, user_id, department_id, place in rows:
            owner = department_id if place in FRONT else own.get(user_id, department_id)
            groups.setdefault(owner or first, []).append(pk)
        groups.pop(None, None)  # no department anywhere: cannot be kept
        if not groups:
            if first is None:
                Assignment.objects.filter(roster=roster).delete()
                roster.delete()
                continue
            groups[first] = []
        unmet = {}
        for item in roster.unmet or []:
            owner = item.get("department") or own.get(item.get("person")) or first
            unmet.setdefault(owner, []).append(item)
        departments = sorted(groups)
        for n, department_id in enumerate(departments):
            if n == 0:
                target = roster
                target.department_id = department_id
                target.unmet = unmet.get(department_id, [])
                target.save()
            else:
                target = Roster.objects.create(
                    location_id=roster.location_id,
                    department_id=department_id,
                    week=roster.week,
                    status=roster.status,
                    unmet=unmet.get(department_id, []),
                    created_at=roster.created_at,
                    published_at=roster.published_at,
                    published_by_id=roster.published_by_id,
                )
            Assignment.objects.filter(pk__in=groups[department_id]).update(roster=target)


class Migration(migrations.Migration):
    # Its own migration (and transaction): on PostgreSQL the rows written here leave deferred
    # foreign-key checks pending, and the table cannot be altered in the same transaction.
    dependencies = [
        ("organisation", "0002_desk_schedule_and_absences"),
        ("staffing", "0002_roster_department"),
    ]

    operations = [migrations.RunPython(split_per_department, migrations.RunPython.noop)]
