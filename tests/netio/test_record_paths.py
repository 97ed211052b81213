"""How netio's records reach OpenSSL: the probe takes pyOpenSSL's private binding only when it
is there and behaves as tls_stream uses it, falls back to the public Connection methods when
it is missing or changed, and CUCME_LAB_NETIO_PATH=public forces the fallback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import trio
from OpenSSL import SSL

from cucme_lab.netio import tls_stream

SRC = Path(tls_stream.__file__).resolve().parents[2]


@pytest.fixture
def restore_path():
    """Tests here change the active path; the one before comes back afterwards."""
    before, why = tls_stream.RECORD_PATH, tls_stream.RECORD_PATH_REASON
    yield
    tls_stream.select_path(before, reason=why)


class _Changed:
    """pyOpenSSL's `lib` as a later release might have it: names gone, or calls that answer
    otherwise; everything else passes through to the real one."""

    def __init__(self, real, *, without=(), replace=None) -> None:
        self._real, self._without, self._replace = real, set(without), replace or {}

    def __getattr__(self, name):
        if name in self._without:
            raise AttributeError(name)
        if name in self._replace:
            return self._replace[name]
        return getattr(self._real, name)


def _util_with(**changes) -> SimpleNamespace:
    real = tls_stream._util
    return SimpleNamespace(lib=_Changed(real.lib, **changes), ffi=real.ffi)


@pytest.mark.parametrize("records", [tls_stream._BindingRecords, tls_stream._PublicRecords],
                         ids=tls_stream.PATHS)
def test_both_paths_answer_a_stream_alike(records):
    """The probe's round trip (handshake, records, nothing yet, both closes, a refusal) holds
    for the public path too: the two are interchangeable under the stream."""
    if records is tls_stream._BindingRecords and tls_stream.probe() is not None:
        pytest.skip("the binding's probe fails with this pyOpenSSL")
    tls_stream.round_trip(records)


def test_missing_private_module_falls_back(restore_path, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(tls_stream, "_util", None)
        assert tls_stream.select_path() == tls_stream.PUBLIC
        assert "OpenSSL._util is not there" in tls_stream.RECORD_PATH_REASON
        with pytest.raises(RuntimeError, match="cannot carry records"):
            tls_stream.select_path(tls_stream.BINDING)


@pytest.mark.parametrize("change, says", [
    ({"without": ["SSL_read"]}, "missing: lib.SSL_read"),
    ({"without": ["BIO_write", "SSL_ERROR_ZERO_RETURN"]},
     "missing: lib.BIO_write, lib.SSL_ERROR_ZERO_RETURN"),
    # present but answering otherwise: every error read as "want read"
    ({"replace": {"SSL_get_error": lambda ssl, result: 2}}, "round trip failed"),
    # present but with another signature
    ({"replace": {"BIO_read": lambda bio, buf: 0}}, "round trip failed: TypeError"),
])
def test_a_changed_binding_falls_back(restore_path, monkeypatch, change, says):
    with monkeypatch.context() as patch:
        patch.setattr(tls_stream, "_util", _util_with(**change))
        assert tls_stream.select_path() == tls_stream.PUBLIC
    assert says in tls_stream.RECORD_PATH_REASON
    assert not isinstance(tls_stream._lib, _Changed)  # a failed probe binds nothing


def test_a_connection_without_its_handles_falls_back(restore_path, monkeypatch):
    class Renamed(SSL.Connection):  # a release keeping the BIOs under other names
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._bio_in = self.__dict__.pop("_into_ssl")

    with monkeypatch.context() as patch:
        patch.setattr(SSL, "Connection", Renamed)
        assert tls_stream.select_path() == tls_stream.PUBLIC
    assert "missing: Connection._into_ssl" in tls_stream.RECORD_PATH_REASON


async def test_streams_made_after_a_fallback_work_on_the_public_path(restore_path, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(tls_stream, "_util", None)
        tls_stream.select_path()
    server_ctx, ctx = tls_stream._probe_contexts()
    listener = tls_stream.listen("127.0.0.1", 0)
    port = listener.getsockname()[1]

    async def echo(sock):
        stream = tls_stream.TlsStream(sock, server_ctx, server_side=True)
        await stream.do_handshake()
        await stream.send_all(await stream.receive_some())
        await stream.aclose()

    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(tls_stream.serve, listener, echo)
            client = tls_stream.TlsStream(await tls_stream.connect("127.0.0.1", port), ctx,
                                          server_side=False)
            assert client.record_path == tls_stream.PUBLIC
            await client.do_handshake()
            await client.send_all(b"hello")
            assert await client.receive_some() == b"hello"
            assert await client.receive_some() == b""  # the server's close_notify
            await client.aclose()
            nursery.cancel_scope.cancel()


def test_an_unknown_path_is_refused():
    with pytest.raises(ValueError, match="no record path"):
        tls_stream.select_path("ssl-module")


@pytest.mark.parametrize("value, path, why", [
    ("public", tls_stream.PUBLIC, "CUCME_LAB_NETIO_PATH=public"),
    ("pyopenssl-api", tls_stream.PUBLIC, "CUCME_LAB_NETIO_PATH=public"),
    ("auto", None, None),
    ("", None, None),
])
def test_the_environment_forces_the_public_path_at_import(value, path, why):
    """Read once, at import; forcing does not run the probe (a binding that crashes is
    avoided), anything else leaves the choice to the probe."""
    code = ("from cucme_lab.netio import tls_stream as t; "
            "print(t.RECORD_PATH); print(t.RECORD_PATH_REASON); print(t._lib is None)")
    env = {**os.environ, "PYTHONPATH": str(SRC), tls_stream.ENVIRONMENT: value}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True, timeout=60).stdout.splitlines()
    if path is None:  # as this process decided
        assert out[0] == (tls_stream.BINDING if tls_stream.probe() is None
                          else tls_stream.PUBLIC)
    else:
        assert out == [path, why, "True"]  # the binding was never touched
