"""tests/conftest.py for Lightning 0.8.5's test-suite (the wheel ships none).

HARNESS_ALIAS=1 makes ``pytorch_lightning`` be ``orchestrator`` (tests_alias.py). The rest is
what 0.8.5's own tests/conftest.py gave: the ``spawn`` marker and the ``tmpdir_server`` fixture
(tmpdir served over HTTP from a thread; the tests use it as ``ip, port = tmpdir_server``). A
download from anywhere but localhost is refused at once, so no test waits on the network.
"""

import os
import sys
import threading
import urllib.parse
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
import torch.multiprocessing as mp

if os.environ.get("HARNESS_ALIAS") == "1":
    sys.path.insert(0, os.path.dirname(__file__))
    import tests_alias

    tests_alias.install()

_urlretrieve = urllib.request.urlretrieve


def _local_only_urlretrieve(url, *args, **kwargs):
    host = urllib.parse.urlparse(str(url)).hostname
    if host not in ("localhost", "127.0.0.1"):
        raise RuntimeError(f"harness: no network; refusing to download {url}")
    return _urlretrieve(url, *args, **kwargs)


urllib.request.urlretrieve = _local_only_urlretrieve


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "spawn: spawn test in a separate process using torch.multiprocessing.spawn")


def pytest_report_header(config):
    import pytorch_lightning

    pl = pytorch_lightning
    return f"harness: pytorch_lightning is {pl.__name__} from {pl.__file__}"


def _call_in_child(_process_index, test, arguments):
    test(*arguments)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """A test marked ``spawn`` runs in a child process started by torch.multiprocessing."""
    if pyfuncitem.get_closest_marker("spawn") is None:
        return None
    names = pyfuncitem._fixtureinfo.argnames
    arguments = tuple(pyfuncitem.funcargs[name] for name in names)
    mp.spawn(_call_in_child, (pyfuncitem.obj, arguments))
    return True


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture
def tmpdir_server(tmpdir):
    handler = partial(_QuietHandler, directory=str(tmpdir))
    with ThreadingHTTPServer(("localhost", 0), handler) as server:
        server_thread = threading.Thread(target=server.serve_forever)
        server_thread.daemon = True
        server_thread.start()
        yield server.server_address
        server.shutdown()
