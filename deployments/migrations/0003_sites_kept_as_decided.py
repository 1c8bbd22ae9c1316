from django.db import migrations
from django.utils import timezone


def reviews_due_now(apps, schema_editor):
    """Sites that collected reads before governance was recorded are due a review at once."""
    Site = apps.get_model("deployments", "Site")
    Site.objects.filter(status__in=["live", "under_review"], next_review_due__isnull=True).update(
        next_review_due=timezone.localdate()
    )


TABLES_KEPT = ["assessmentfactor", "privacyrisk", "consultation", "sitestatuschange",
               "selfassessment", "principleanswer"]  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("deployments", "0002_governance")]

    operations = [
        migrations.RunPython(reviews_due_now, migrations.RunPython.noop),
        migrations.RunSQL(
            # Evidential records are never edited: a decided assessment or DPIA may only be
            # marked superseded; a completed review, a consultation, a status change, a factor,
            # a risk and a self-assessment not at all.
            sql="""
            CREATE FUNCTION deployments_refuse_update() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'Camera-site governance records are kept as written: UPDATE on % refused',
                    TG_TABLE_NAME;
            END $$;
            CREATE FUNCTION deployments_keep_decided() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF OLD.decision <> 'pending'
                   AND (to_jsonb(NEW) - 'superseded_at') <> (to_jsonb(OLD) - 'superseded_at') THEN
                    RAISE EXCEPTION 'A decided % is kept as decided: UPDATE refused', TG_TABLE_NAME;
                END IF;
                RETURN NEW;
            END $$;
            CREATE FUNCTION deployments_keep_completed_review() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF OLD.completed_at IS NOT NULL THEN
                    RAISE EXCEPTION 'A completed review is kept as recorded: UPDATE refused';
                END IF;
                RETURN NEW;
            END $$;
            """
            + "".join(
                f"CREATE TRIGGER deployments_{table}_as_written BEFORE UPDATE ON "
                f"deployments_{table} FOR EACH ROW EXECUTE FUNCTION deployments_refuse_update();"
                for table in TABLES_KEPT
            )
            + "".join(
                f"CREATE TRIGGER deployments_{table}_as_decided BEFORE UPDATE ON "
                f"deployments_{table} FOR EACH ROW EXECUTE FUNCTION deployments_keep_decided();"
                for table in ("deploymentassessment", "privacyassessment")
            )
            + "CREATE TRIGGER deployments_review_as_recorded BEFORE UPDATE ON deployments_review"
            " FOR EACH ROW EXECUTE FUNCTION deployments_keep_completed_review();",
            reverse_sql="".join(
                f"DROP TRIGGER deployments_{table}_as_written ON deployments_{table};"
                for table in TABLES_KEPT
            )
            + "DROP TRIGGER deployments_deploymentassessment_as_decided"
            " ON deployments_deploymentassessment;"
            "DROP TRIGGER deployments_privacyassessment_as_decided ON deployments_privacyassessment;"
            "DROP TRIGGER deployments_review_as_recorded ON deployments_review;"
            "DROP FUNCTION deployments_refuse_update(); DROP FUNCTION deployments_keep_decided();"
            "DROP FUNCTION deployments_keep_completed_review();",
        ),
    ]
