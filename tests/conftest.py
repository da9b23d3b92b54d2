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
