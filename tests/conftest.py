import pytest


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """A test that reaches the network by accident fails instead of hanging."""
    import socket

    real_connect = socket.socket.connect

    def guarded(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        local = host in ("127.0.0.1", "localhost", "::1") or str(host).startswith("/")
        if isinstance(host, str) and not local:
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session", autouse=True)
def _test_database_dropped_cleanly(django_db_setup, django_db_blocker):
    """Close every other session on the test database before pytest-django drops it.

    The end-to-end tests run gunicorn and qcluster processes against the test database; one
    that is still winding down keeps a connection open, and PostgreSQL then refuses to drop
    the database, leaving `test_postgres` behind for the next run.
    """
    yield
    from django.db import connection

    if connection.vendor != "postgresql" or not _test_database_was_created(connection):
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language (Korean): a request that asked for English
    leaves English active in its thread (LocaleMiddleware activates it and never resets it),
    and texts made outside a request would follow it."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


def _test_database_was_created(connection) -> bool:
    """pytest-django creates the test database only when a selected test uses it; a run of
    database-free tests (tests/test_import_graph.py alone) has nothing to clean up, and its
    connection still names the real database, which may not exist."""
    name = connection.settings_dict["NAME"]
    test_name = connection.settings_dict.get("TEST", {}).get("NAME")
    return name == test_name or str(name).startswith("test_")
