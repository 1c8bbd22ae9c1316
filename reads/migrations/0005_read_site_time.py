"""Every vehicle at a site in a time range (place and time) reads one index range per partition.

The index is declared on the partitioned table, so every partition, now and to come, has it.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("reads", "0004_analyses")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX reads_read_site_time ON reads_read (site_id, captured_at);",
            "DROP INDEX reads_read_site_time;",
        )
    ]
