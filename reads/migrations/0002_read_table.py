"""The read store: one table partitioned by day on capture time (partitions: reads/partitions.py).

Indexes declared on the parent are created on every partition: (vrm, captured_at) as the primary
key for plate searches, (camera_id, captured_at) for place-and-time, trigram on vrm for partial
plates.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE reads_read (
    id uuid NOT NULL,
    vrm varchar(16) NOT NULL,
    vrm_raw varchar(32) NOT NULL,
    captured_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL,
    camera_id bigint NOT NULL,
    site_id bigint NOT NULL,
    capture_id varchar(64) NOT NULL,
    confidence double precision,
    alternatives jsonb NOT NULL DEFAULT '[]',
    direction varchar(8) NOT NULL DEFAULT '',
    lane smallint,
    latitude double precision,
    longitude double precision,
    plate_image varchar(255) NOT NULL DEFAULT '',
    overview_image varchar(255) NOT NULL DEFAULT '',
    PRIMARY KEY (vrm, captured_at, id)
) PARTITION BY RANGE (captured_at);
CREATE INDEX reads_read_camera_time ON reads_read (camera_id, captured_at);
CREATE INDEX reads_read_vrm_trgm ON reads_read USING gin (vrm gin_trgm_ops);
"""


class Migration(migrations.Migration):
    dependencies = [("reads", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, "DROP TABLE reads_read CASCADE;")]
