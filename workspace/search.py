"""Case-insensitive search that also folds Cyrillic on SQLite.

SQLite's LIKE and LOWER() only fold ASCII, so "анна" would never find "Анна". On SQLite
we register a Python casefold function on every connection; other databases use LOWER(),
which is Unicode-aware there.
"""

from django.db.backends.signals import connection_created
from django.db.models import CharField, Func, Q
from django.db.models.lookups import Contains

SQLITE_CASEFOLD = "rassylka_casefold"


def _casefold(value: str | None) -> str | None:
    return value.casefold() if isinstance(value, str) else value


def register_sqlite_casefold(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_CASEFOLD, 1, _casefold, deterministic=True)


connection_created.connect(register_sqlite_casefold, dispatch_uid="rassylka_sqlite_casefold")


class Casefold(Func):
    function = "LOWER"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function=SQLITE_CASEFOLD, **extra_context)


def search_text(raw: str) -> str:
    """The words to look for from a ?q= parameter.

    Nobody types a NUL character into a search box, and PostgreSQL refuses one in a
    query parameter (DataError, a 500): a crafted URL's are dropped. Long input is cut.
    """
    return raw.replace("\x00", "").strip()[:200]


def search_q(fields: list[str] | tuple[str, ...], query: str) -> Q:
    """Rows where every word of the query appears in at least one of the fields."""
    condition = Q()
    for word in query.casefold().split():
        any_field = Q()
        for field in fields:
            any_field |= Q(Contains(Casefold(field), word))
        condition &= any_field
    return condition
