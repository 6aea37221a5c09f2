"""Key rotation: read each encrypted column raw and re-encrypt values under older keys.

Rows are read as stored ciphertext (bypassing the field's decryption) so only values that
need it are touched, in batches, each batch in its own transaction.
"""

from __future__ import annotations

from django.db import connection, transaction

from careloop.lib.encrypted import EncryptedTextField, active_key_ring, encrypted_fields


def rotate_all(batch_size: int = 500) -> dict[str, int]:
    """Rotate every encrypted column; return the number of values re-encrypted per column."""
    return {field.associated_data(): rotate_column(field, batch_size) for field in encrypted_fields()}


def rotate_column(field: EncryptedTextField, batch_size: int) -> int:
    ring, aad = active_key_ring(), field.associated_data()
    table, column, pk = _quoted(field)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL")  # noqa: S608
        stale = [(key, value) for key, value in cursor.fetchall() if ring.needs_rotation(value)]
    for start in range(0, len(stale), batch_size):
        with transaction.atomic(), connection.cursor() as cursor:
            for key, value in stale[start:start + batch_size]:
                fresh = ring.encrypt(ring.decrypt(value, aad), aad)
                cursor.execute(f"UPDATE {table} SET {column} = %s WHERE {pk} = %s", [fresh, key])  # noqa: S608
    return len(stale)


def _quoted(field: EncryptedTextField) -> tuple[str, str, str]:
    quote = connection.ops.quote_name
    meta = field.model._meta
    return quote(meta.db_table), quote(field.column), quote(meta.pk.column)
