from django.db import migrations

# The message admin's search also finds words of the text: Django writes that match as
# UPPER("calls_message"."body"::text) LIKE UPPER('%…%'), which no btree can answer. A
# trigram index on the same expression can (body is text already, so PostgreSQL drops the
# cast and UPPER(body) is that expression). With it, the partial search is one bitmap OR of
# the trigram indexes on the numbers, the id and the text (0004) instead of a read of the
# table. PostgreSQL only, as in 0004; pg_trgm is there from 0004.
INDEX = "message_body_upper_trgm"


def add_text_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON calls_message USING gin (UPPER(body) gin_trgm_ops)"
    )


def drop_text_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ('calls', '0005_delivery_by_outcome'),
    ]

    operations = [
        migrations.RunPython(add_text_index, drop_text_index),
    ]
