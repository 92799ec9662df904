"""The smoke stage's requests, asked of a real HTTP server serving an app of these tests."""

import threading
from pathlib import Path
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from pipeline import PipelineError, smoke
from server.app import Server
from server.settings import Settings

ROOT = Path(__file__).parents[3]
SENT = []  # each request with a body the shop was sent: method, path, Content-Type, fields


def shop(environ, start_response):
    """A shop with a login: a form post sets the `user` cookie, which the pages then read."""
    method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
    cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
    user = cookie["user"].value if "user" in cookie else ""

    def answer(status, body=b"", **headers):
        start_response(status, [("Content-Type", "text/plain"),
                                *((k.replace("_", "-"), v) for k, v in headers.items())])
        return [] if method == "HEAD" else [body]

    if method in ("POST", "PUT", "PATCH"):
        size = int(environ.get("CONTENT_LENGTH") or 0)
        fields = dict(parse_qsl(environ["wsgi.input"].read(size).decode()))
        SENT.append((method, path, environ.get("CONTENT_TYPE"), fields))
    if (method, path) == ("POST", "/login"):
        if fields.get("password") != "s3cret":
            return answer("403 Forbidden", b"wrong password")
        return answer("302 Found", Location="/account", Set_Cookie=f"user={fields['name']}; Path=/")
    if method in ("PUT", "PATCH", "DELETE"):
        return answer("204 No Content") if path == "/basket" else answer("405 Not Allowed")
    if path == "/account":
        if user:
            return answer("200 OK", f"Your account, {user}".encode())
        return answer("302 Found", Location="/login?next=%2Faccount")
    if path == "/login":
        return answer("200 OK", b"Log in")
    if path == "/old":  # an absolute URL, as some frameworks write it
        return answer("301 Moved Permanently", Location=f"http://{environ['HTTP_HOST']}/")
    if path == "/sale":
        return answer("302 Found", Location="missing")  # relative to /sale: /missing
    if path == "/":
        return answer("200 OK", f"Welcome back, {user}".encode() if user else
                      b"Welcome to the shop")
    return answer("404 Not Found", b"no such page")


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


@pytest.fixture
def run(url, tmp_path):
    """Asks the shop smoke.txt's lines, as the smoke stage would."""
    def asked(*lines):
        requests = tmp_path / "smoke.txt"
        requests.write_text("".join(line + "\n" for line in lines))
        return smoke.main(url, "1.2.3", requests)
    SENT.clear()
    return asked


def test_parse_reads_status_or_text():
    assert smoke.parse("# mine\n\n/ Welcome to the shop\n/missing 404\n/x  a b \n") == [
        smoke.Request("/", text="Welcome to the shop"), smoke.Request("/missing", 404),
        smoke.Request("/x", text="a b")]


def test_parse_reads_methods_forms_and_locations():
    assert smoke.parse(
        "GET /?q=1 200\n/ 302 /login?next=%2F\n/ 302\t /login\n/ 200 /login\n/ 404 Not Found\n"
        "HEAD /healthz 200\nDELETE /basket 204\nPOST /login name=a&password=b%20c 302 /account\n"
        "POST /login name=a&password=b Welcome back, a\nPUT /basket - 204\nPATCH /basket n= 204\n"
    ) == [
        smoke.Request("/?q=1", 200), smoke.Request("/", 302, location="/login?next=%2F"),
        smoke.Request("/", 302, location="/login"),
        smoke.Request("/", text="200 /login"),  # a Location follows only a 3xx
        smoke.Request("/", text="404 Not Found"),
        smoke.Request("/healthz", 200, method="HEAD"),
        smoke.Request("/basket", 204, method="DELETE"),
        smoke.Request("/login", 302, method="POST", form="name=a&password=b%20c",
                      location="/account"),
        smoke.Request("/login", text="Welcome back, a", method="POST", form="name=a&password=b"),
        smoke.Request("/basket", 204, method="PUT"),
        smoke.Request("/basket", 204, method="PATCH", form="n="),
    ]


@pytest.mark.parametrize(("line", "expected"), [
    ("/", "`[METHOD] /path STATUS`, `[METHOD] /path 3xx /location` or `[METHOD] /path TEXT`, "
          "METHOD one of GET, HEAD, POST, PUT, PATCH, DELETE (GET if none), got '/'"),
    ("shop 200", "`[METHOD] /path STATUS`, "),
    ("get / 200", "`[METHOD] /path STATUS`, "),
    ("OPTIONS / 200", "`[METHOD] /path STATUS`, "),
    ("GET /", "`[METHOD] /path STATUS`, "),
    ("DELETE shop 204", "`[METHOD] /path STATUS`, "),
    ("POST /login 302", "`POST /path FORM EXPECTED`, FORM `name=value&...` (URL-encoded) or `-` "
                        "for none, got 'POST /login 302'"),
    ("POST /login 302 /account", "`POST /path FORM EXPECTED`, "),
    ("PUT /basket a=1&&b=2 204", "`PUT /path FORM EXPECTED`, "),
    ("PATCH /basket =1 204", "`PATCH /path FORM EXPECTED`, "),
    ("POST /login -", "`[METHOD] /path STATUS`, "),
    ("HEAD / Welcome", "`HEAD /path STATUS`: a HEAD answer has no body to hold text, got "
                       "'HEAD / Welcome'"),
])
def test_a_bad_line_names_its_place_and_the_accepted_forms(line, expected):
    with pytest.raises(PipelineError) as error:
        smoke.parse(f"/ 200\n  {line} \n")
    assert str(error.value).startswith(f"smoke.txt:2: expected {expected}")
    assert str(error.value).endswith(f", got {line!r}")


def test_describe_says_what_was_asked():
    assert [r.describe() for r in smoke.parse(
        "/ 200\n/ 302 /login\n/ Welcome\nHEAD / 200\nPOST /login a=1 302\nPUT /basket - Saved\n"
    )] == ["/ 200", "/ 302 /login", "/ 'Welcome'", "HEAD / 200", "POST /login a=1 302",
           "PUT /basket - 'Saved'"]


def test_the_sample_requests_parse():
    assert smoke.parse((ROOT / smoke.REQUESTS).read_text()) == [
        smoke.Request("/", text="Hello World!"), smoke.Request("/nope", 404)]


def test_asks_the_template_paths_then_the_listed_ones(url, tmp_path):
    requests = tmp_path / "smoke.txt"
    requests.write_text("/ Welcome\n/missing 404\n")
    assert smoke.main(url, "1.2.3", requests) == [
        "/healthz", "/version (1.2.3)", "/", "/missing"]
    assert smoke.main(url + "/", "1.2.3", tmp_path / "absent.txt") == [
        "/healthz", "/version (1.2.3)"]


def test_a_status_is_the_paths_own_answer(run):
    assert run("/account 302", "/old 301", "HEAD /account 302")[2:] == [
        "/account", "/old", "HEAD /account"]


def test_text_is_what_the_redirects_lead_to(run):
    assert run("/account Log in", "/old Welcome to the shop")[2:] == ["/account", "/old"]


def test_a_location_is_compared_as_its_path_and_query(run):
    assert run("/account 302 /login?next=%2Faccount", "/old 301 /", "/sale 302 /missing")[2:] == [
        "/account", "/old", "/sale"]


def test_a_form_is_sent_as_written(run):
    assert run("POST /login name=smoke%20test&password=s3cret 302 /account",
               "PUT /basket item=tea&count=2 204", "PATCH /basket - 204", "DELETE /basket 204",
               )[2:] == ["POST /login", "PUT /basket", "PATCH /basket", "DELETE /basket"]
    form = "application/x-www-form-urlencoded"
    assert SENT == [("POST", "/login", form, {"name": "smoke test", "password": "s3cret"}),
                    ("PUT", "/basket", form, {"item": "tea", "count": "2"}),
                    ("PATCH", "/basket", form, {})]


def test_cookies_carry_to_the_next_requests(run):
    assert run("/account 302", "POST /login name=smoke&password=s3cret 302", "/account 200",
               "/ Welcome back, smoke")[2:] == ["/account", "POST /login", "/account", "/"]


def test_a_post_followed_to_its_page(run):
    assert run("POST /login name=smoke&password=s3cret Your account, smoke")[2:] == [
        "POST /login"]


def test_each_run_starts_without_cookies(run):
    run("POST /login name=smoke&password=s3cret 302")
    assert run("/ Welcome to the shop")[2:] == ["/"]


@pytest.mark.parametrize(("listed", "message"), [
    ("/ Goodbye", "/ answered 200 'Welcome to the shop'; smoke.txt expects / 'Goodbye'"),
    ("/missing 200", "/missing answered 404 'no such page'; smoke.txt expects /missing 200"),
    ("/ 404", "/ answered 200 'Welcome to the shop'; smoke.txt expects / 404"),
    ("/account 200", "/account answered 302 to /login?next=%2Faccount; smoke.txt expects "
                     "/account 200"),
    ("/account 302 /login", "/account answered 302 to /login?next=%2Faccount; smoke.txt expects "
                            "/account 302 /login"),
    ("/old 301 /home", "/old answered 301 to /; smoke.txt expects /old 301 /home"),
    ("/sale Sale", "/sale, redirected to /missing, answered 404 'no such page'; smoke.txt "
                   "expects /sale 'Sale'"),
    ("/account Your account", "/account, redirected to /login?next=%2Faccount, answered 200 "
                              "'Log in'; smoke.txt expects /account 'Your account'"),
    ("POST /login name=smoke&password=wrong 302", "POST /login answered 403 'wrong password'; "
     "smoke.txt expects POST /login name=smoke&password=wrong 302"),
    ("PUT / - 204", "PUT / answered 405 ''; smoke.txt expects PUT / - 204"),
])
def test_the_first_unmet_request_is_named(run, listed, message):
    with pytest.raises(PipelineError) as error:
        run(listed, "/ 200")
    assert str(error.value) == message


def test_a_version_other_than_the_label_fails(url):
    with pytest.raises(PipelineError, match=r"^/version reports '1.2.3', the image's label '2.0"):
        smoke.check(url, "2.0.0", [])


def test_a_server_that_does_not_answer_fails():
    with pytest.raises(PipelineError, match=r"^http://127.0.0.1:9/healthz: "):
        smoke.check("http://127.0.0.1:9", "1.2.3", [])
