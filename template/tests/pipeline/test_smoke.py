"""The smoke stage's requests, asked of a real HTTP server serving an app of these tests."""

import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from pipeline import PipelineError, smoke
from server.app import Server
from server.settings import Settings


def shop(environ, start_response):
    found = environ["PATH_INFO"] == "/"
    start_response("200 OK" if found else "404 Not Found", [("Content-Type", "text/plain")])
    return [b"Welcome to the shop" if found else b"no such page"]


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def url():
    server = make_server("127.0.0.1", 0, Server(shop, Settings("shop", version="1.2.3")),
                         handler_class=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_parse_reads_status_or_text():
    assert smoke.parse("# mine\n\n/ Welcome to the shop\n/missing 404\n/x  a b \n") == [
        smoke.Request("/", text="Welcome to the shop"), smoke.Request("/missing", 404),
        smoke.Request("/x", text="a b")]


@pytest.mark.parametrize("line", ["/", "shop 200", "GET / 200"])
def test_a_bad_line_names_its_place(line):
    with pytest.raises(PipelineError, match=r"^smoke.txt:2: expected `/path STATUS` or "):
        smoke.parse(f"/ 200\n{line}\n")


def test_asks_the_template_paths_then_the_listed_ones(url, tmp_path):
    requests = tmp_path / "smoke.txt"
    requests.write_text("/ Welcome\n/missing 404\n")
    assert smoke.main(url, "1.2.3", requests) == [
        "/healthz", "/version (1.2.3)", "/", "/missing"]
    assert smoke.main(url + "/", "1.2.3", tmp_path / "absent.txt") == [
        "/healthz", "/version (1.2.3)"]


@pytest.mark.parametrize(("listed", "message"), [
    ("/ Goodbye", "/ answered 200 'Welcome to the shop'; smoke.txt expects / 'Goodbye'"),
    ("/missing 200", "/missing answered 404 'no such page'; smoke.txt expects /missing 200"),
    ("/ 404", "/ answered 200 'Welcome to the shop'; smoke.txt expects / 404"),
])
def test_the_first_unmet_request_is_named(url, tmp_path, listed, message):
    requests = tmp_path / "smoke.txt"
    requests.write_text(listed + "\n")
    with pytest.raises(PipelineError) as error:
        smoke.main(url, "1.2.3", requests)
    assert str(error.value) == message


def test_a_version_other_than_the_label_fails(url):
    with pytest.raises(PipelineError, match=r"^/version reports '1.2.3', the image's label '2.0"):
        smoke.check(url, "2.0.0", [])


def test_a_server_that_does_not_answer_fails():
    with pytest.raises(PipelineError, match=r"^http://127.0.0.1:9/healthz: "):
        smoke.check("http://127.0.0.1:9", "1.2.3", [])
