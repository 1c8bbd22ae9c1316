"""What the camera saw of the vehicle (make, model, colour), where it recognises them."""

from django.db import migrations

ADD = """
ALTER TABLE reads_read
    ADD COLUMN vehicle_make varchar(50) NOT NULL DEFAULT '',
    ADD COLUMN vehicle_model varchar(50) NOT NULL DEFAULT '',
    ADD COLUMN vehicle_colour varchar(30) NOT NULL DEFAULT '';
"""
DROP = """
ALTER TABLE reads_read
    DROP COLUMN vehicle_make, DROP COLUMN vehicle_model, DROP COLUMN vehicle_colour;
"""


class Migration(migrations.Migration):
    dependencies = [("reads", "0002_read_table")]

    operations = [migrations.RunSQL(ADD, DROP)]
