"""The application's database role: what the running back office may do to the database.

Two roles (docs/database-roles.md): the migration role, whoever runs `manage.py migrate`, owns
the schema; the application role (settings.DATABASE_APP_ROLE, default anpr_app), which web,
events and workers connect as, may read and write rows but owns nothing. On the audit tables it
may only INSERT and SELECT: UPDATE, DELETE and TRUNCATE are not granted, on top of the triggers
that refuse UPDATE and DELETE to everyone. The read store's day partitions are made and dropped
at run time through two SECURITY DEFINER functions, as only an owner may (reads/partitions.py).

Roles belong to the server, not the database: the role is created once (NOLOGIN) when missing
and the migrating user may create roles; where it may not (managed PostgreSQL services), a DBA
creates it and the migration only grants. It is never dropped: other databases may use it.
"""

import re
import sys

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import migrations

APP_ROLE = getattr(settings, "DATABASE_APP_ROLE", "anpr_app")
if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", APP_ROLE):
    raise ImproperlyConfigured(
        f"DATABASE_APP_ROLE {APP_ROLE!r}: use lower-case letters, digits and _ (at most 63)."
    )

# Evidential records the application writes once and never changes or removes.
APPEND_ONLY = [
    "access_auditrecord",  # the access audit, hash-chained
    "auditlog_logentry",  # the change log (django-auditlog only inserts)
    "reads_retentionpolicy",  # each change is a new version
    "reads_deletionrecord",  # what retention deleted, kept for auditors
    *(f"deployments_{name}" for name in ("assessmentfactor", "privacyrisk", "consultation",
                                         "sitestatuschange", "selfassessment", "principleanswer")),
]  # fmt: skip
# Governance records that are decided or completed in place, never deleted (their triggers keep
# a decided assessment or a completed review as it was).
NEVER_DELETED = [
    "deployments_deploymentassessment",
    "deployments_privacyassessment",
    "deployments_review",
]


def _array(names: list[str]) -> str:
    return "ARRAY[" + ", ".join(f"'{name}'" for name in names) + "]"


ROLE_CREATE = f"""
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        RETURN;
    END IF;
    CREATE ROLE {APP_ROLE} NOLOGIN;
    RAISE NOTICE 'Created the application role {APP_ROLE} (NOLOGIN): give it LOGIN and a password,'
        ' or grant it to a login role (docs/database-roles.md).';
EXCEPTION
    WHEN insufficient_privilege THEN
        RAISE WARNING 'The application role {APP_ROLE} does not exist and % may not create it:'
            ' nothing is granted to it. Have a DBA create it, then run'
            ' "manage.py migrate core zero" and "manage.py migrate core" (docs/database-roles.md).',
            current_user;
    WHEN duplicate_object OR unique_violation THEN
        NULL;  -- created at the same moment by a migration of another database on this server
END $$
"""

# Only an owner of reads_read may attach a partition to it, and only an owner of a partition may
# drop it: the application does both through these, as the migration role, for whole UTC days
# named as reads/partitions.py names them.
PARTITION_FUNCTIONS = [
    """
CREATE FUNCTION reads_partition_create(day date) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    name CONSTANT text := 'reads_read_p' || to_char(day, 'YYYYMMDD');
BEGIN
    IF EXISTS (SELECT FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
               WHERE i.inhparent = 'reads_read'::regclass AND c.relname = name) THEN
        RETURN false;
    END IF;
    EXECUTE format('CREATE TABLE %I PARTITION OF reads_read FOR VALUES FROM (%L) TO (%L)', name,
                   to_char(day, 'YYYY-MM-DD 00:00+00'), to_char(day + 1, 'YYYY-MM-DD 00:00+00'));
    RETURN true;
END $$
""",
    """
CREATE FUNCTION reads_partition_drop(day date) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    partition regclass;
BEGIN
    SELECT c.oid INTO partition FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'reads_read'::regclass
      AND c.relname = 'reads_read_p' || to_char(day, 'YYYYMMDD');
    IF partition IS NULL THEN
        RETURN false;
    END IF;
    EXECUTE format('DROP TABLE %s', partition);
    RETURN true;
END $$
""",
    # A SECURITY DEFINER function resolves names only in the schema it was made in, never in one
    # its caller controls; and only the application role may call it.
    """
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION reads_partition_create(date) SET search_path = %I, pg_temp',
                   current_schema());
    EXECUTE format('ALTER FUNCTION reads_partition_drop(date) SET search_path = %I, pg_temp',
                   current_schema());
END $$
""",
    "REVOKE EXECUTE ON FUNCTION reads_partition_create(date), reads_partition_drop(date)"
    " FROM PUBLIC",
]
PARTITION_FUNCTIONS_DROP = [
    "DROP FUNCTION reads_partition_create(date)",
    "DROP FUNCTION reads_partition_drop(date)",
]

GRANTS = f"""
DO $$
DECLARE
    app CONSTANT text := '{APP_ROLE}';
    s CONSTANT text := current_schema();
    t text;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = app) THEN
        RAISE WARNING 'No application role %: nothing granted (docs/database-roles.md).', app;
        RETURN;
    END IF;
    IF app = current_user THEN
        RAISE EXCEPTION 'DATABASE_APP_ROLE is %, the role migrating: the application role must'
            ' be another role (docs/database-roles.md).', app;
    END IF;
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = app) THEN
        RAISE WARNING 'The application role % is a superuser: no privilege binds it.', app;
    END IF;
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), app);
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', s, app);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', s, app);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', s, app);
    -- Tables and sequences the migration role makes later (new migrations, day partitions).
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I'
                   ' GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', s, app);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO %I',
                   s, app);
    FOREACH t IN ARRAY {_array(APPEND_ONLY)} LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I.%I FROM %I', s, t, app);
    END LOOP;
    FOREACH t IN ARRAY {_array(NEVER_DELETED)} LOOP
        EXECUTE format('REVOKE DELETE, TRUNCATE ON %I.%I FROM %I', s, t, app);
    END LOOP;
    EXECUTE format('GRANT EXECUTE ON FUNCTION %I.reads_partition_create(date),'
                   ' %I.reads_partition_drop(date) TO %I', s, s, app);
END $$
"""  # noqa: S608 - the role name is checked above; the tables' names are ours

GRANTS_REVOKE = f"""
DO $$
DECLARE
    app CONSTANT text := '{APP_ROLE}';
    s CONSTANT text := current_schema();
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = app) THEN
        RETURN;
    END IF;
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON TABLES FROM %I', s, app);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON SEQUENCES FROM %I', s, app);
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I', s, app);
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM %I', s, app);
    EXECUTE format('REVOKE ALL ON FUNCTION %I.reads_partition_create(date),'
                   ' %I.reads_partition_drop(date) FROM %I', s, s, app);
    EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM %I', s, app);
    EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM %I', current_database(), app);
END $$
"""  # noqa: S608 - the role name is checked above


def role_missing_say(apps, schema_editor) -> None:
    """Say so where the person migrating sees it: a WARNING reaches only the server's log."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT FROM pg_roles WHERE rolname = %s", [APP_ROLE])
        if cursor.fetchone() is None:
            sys.stderr.write(
                f"\nThe application role {APP_ROLE} does not exist and this user may not create"
                " it: nothing was granted to it. Have a DBA create it, then run `manage.py"
                " migrate core zero` and `manage.py migrate core` (docs/database-roles.md).\n"
            )


class Migration(migrations.Migration):
    # The newest migration of every app with tables, so that the grants cover them all.
    dependencies = [
        ("access", "0010_legal_holds_retention"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("auditlog", "0017_add_actor_email"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("cameras", "0005_camera_positions"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("deployments", "0003_sites_kept_as_decided"),
        ("django_eventstream", "0001_initial"),
        ("guardian", "0003_remove_groupobjectpermission_guardian_gr_content_ae6aec_idx_and_more"),
        ("hotlist", "0010_entry_import_record"),
        ("reads", "0007_retention_holds_national_export"),
        ("sessions", "0001_initial"),
    ]

    operations = [
        # The role stays when this is unapplied: it belongs to the server, not this database.
        migrations.RunSQL(ROLE_CREATE, migrations.RunSQL.noop),
        migrations.RunSQL(PARTITION_FUNCTIONS, PARTITION_FUNCTIONS_DROP),
        migrations.RunSQL(GRANTS, GRANTS_REVOKE),
        migrations.RunPython(role_missing_say, migrations.RunPython.noop, elidable=True),
    ]
