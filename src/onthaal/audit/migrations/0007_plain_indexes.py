"""The log's indexes as plain indexes and unique constraints (ADR 0010).

``unique=True`` and ``db_index=True`` on a text column also make, on PostgreSQL, a second index
for LIKE searches (``varchar_pattern_ops``). The log had four of them (hash, prev_hash, action,
actor_id), written at every append and read by nothing.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0006_actor_type_device'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('create', 'create'), ('update', 'update'), ('delete', 'delete'), ('view', 'view'), ('download', 'download'), ('search', 'search'), ('export', 'export'), ('login', 'login'), ('logout', 'logout'), ('login_failed', 'failed login'), ('locked_out', 'account locked'), ('permission_denied', 'access refused'), ('transition', 'state change')], max_length=30, verbose_name='action'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='actor_id',
            field=models.CharField(blank=True, max_length=64, verbose_name='actor id'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='hash',
            field=models.CharField(max_length=64, verbose_name='hash'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='prev_hash',
            field=models.CharField(max_length=64, verbose_name='previous hash'),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['actor_id'], name='audit_actor_idx'),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['action'], name='audit_action_idx'),
        ),
        migrations.AddConstraint(
            model_name='auditevent',
            constraint=models.UniqueConstraint(fields=('hash',), name='audit_hash_unique'),
        ),
        migrations.AddConstraint(
            model_name='auditevent',
            constraint=models.UniqueConstraint(fields=('prev_hash',), name='audit_prev_hash_unique'),
        ),
    ]
