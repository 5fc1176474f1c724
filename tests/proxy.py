"""A loopback HTTP proxy in front of moto that counts what reaches the server, per API action.

The strictness layer (tests/strict) answers faults inside botocore, before a request leaves
the client, so it can never show what a real 5xx does: that AWS may have acted on the request
anyway. This proxy forwards every request to moto and, for an action told to fail, answers
with a 500 and AWS's error document only *after* moto has acted, the way a server error after
a create looks from outside. What it counts is what the server saw, independent of any
client-side counter or retry layer.

Requests are named as the engine's API stats name them, "service.Action", with the service
as boto3 names its client: the action comes from `Action=` in the form body (the EC2 and query
protocols) or the `X-Amz-Target` header (JSON protocols); the service from the request's
signing scope, the `Version=` of a query request (classic ELB and ELB v2 share a signing name)
or the JSON target prefix. REST protocols (S3) name no action on the wire: they are counted
as "s3.<HTTP method>". `mutating()` tells writes from reads by the engine's own declaration
of each operation (stackdeploy/aws/operations.py).
"""

from __future__ import annotations

import http.client
import re
import threading
import uuid
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

import botocore.session

from stackdeploy.aws.operations import is_read

# The services whose requests the proxy can name: those the engine's clients talk to.
SERVICES = (
    "autoscaling",
    "dynamodb",
    "ec2",
    "elb",
    "elbv2",
    "iam",
    "kms",
    "rds",
    "resourcegroupstaggingapi",
    "s3",
    "secretsmanager",
    "ssm",
    "sts",
)
# What a load balancer in front of an endpoint sends when its backend fails: HTML5, whose
# unclosed <meta> is not XML (botocore's XML parsers then raise ResponseParserError).
ERROR_PAGE = (
    b'<!DOCTYPE html><html><head><meta charset="utf-8"><title>503</title></head>'
    b"<body><h1>503 Service Temporarily Unavailable</h1></body></html>"
)
# The HTTP methods that never change anything, for the REST protocols' requests.
_READ_METHODS = frozenset({"GET", "HEAD"})
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})
_SIGNING_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


@dataclass(frozen=True)
class _Protocols:
    """How to tell a request's service from the wire, built from botocore's models."""

    by_signing_name: dict[str, list[tuple[str, str]]]  # signing name -> [(api version, service)]
    by_target_prefix: dict[str, str]  # JSON X-Amz-Target prefix -> service
    protocol: dict[str, str]  # service -> "ec2" | "query" | "json" | "rest-xml" | ...

    @classmethod
    def load(cls) -> _Protocols:
        session = botocore.session.get_session()
        by_signing_name: dict[str, list[tuple[str, str]]] = {}
        by_target_prefix: dict[str, str] = {}
        protocol: dict[str, str] = {}
        for service in SERVICES:
            model = session.get_service_model(service)
            by_signing_name.setdefault(model.signing_name, []).append((model.api_version, service))
            prefix = model.metadata.get("targetPrefix")
            if prefix:
                by_target_prefix[prefix] = service
            protocol[service] = model.protocol
        return cls(by_signing_name, by_target_prefix, protocol)

    def name(self, method: str, headers: dict[str, str], body: bytes) -> str:
        """ "service.Action" of one request ("?" where the wire does not tell)."""
        target = headers.get("x-amz-target")
        if target:
            prefix, _, action = target.rpartition(".")
            return f"{self.by_target_prefix.get(prefix, '?')}.{action}"
        scope = _SIGNING_SCOPE.search(headers.get("authorization", ""))
        candidates = self.by_signing_name.get(scope.group(1) if scope else "", [])
        if not candidates:
            return f"?.{method}"
        form = parse_qs(body.decode("utf-8", "replace")) if body else {}
        version = form.get("Version", [""])[0]
        service = next((s for v, s in candidates if v == version), candidates[0][1])
        action = form.get("Action", [""])[0]
        return f"{service}.{action or method}"

    def error_document(self, service: str, code: str, message: str) -> tuple[str, bytes]:
        """(content type, body) of an AWS error in the service's protocol."""
        request_id = str(uuid.uuid4())
        protocol = self.protocol.get(service, "rest-xml")
        if protocol.startswith("json") or protocol == "rest-json":
            body = f'{{"__type": "{code}", "message": "{message}"}}'
            return "application/x-amz-json-1.1", body.encode()
        code, message = escape(code), escape(message)
        if protocol == "ec2":
            body = (
                f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>"
                f"</Error></Errors><RequestID>{request_id}</RequestID></Response>"
            )
        elif protocol == "query":
            body = (
                f"<ErrorResponse><Error><Type>Receiver</Type><Code>{code}</Code>"
                f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId>"
                "</ErrorResponse>"
            )
        else:  # rest-xml (S3)
            body = (
                f"<Error><Code>{code}</Code><Message>{message}</Message>"
                f"<RequestId>{request_id}</RequestId></Error>"
            )
        return "text/xml", body.encode()


class CountingProxy:
    """Forwards every request to `upstream` and counts it; see the module docstring.

    Use as a context manager: `with CountingProxy(moto) as proxy: ... proxy.url ...`.
    """

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._protocols = _Protocols.load()
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._failures: Counter[str] = Counter()  # operation -> answers still to fail
        self._pages: Counter[str] = Counter()  # operation -> HTML error pages still to send
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> CountingProxy:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # -- what tests set and read ---------------------------------------------------------------

    def fail_after_forwarding(self, operation: str, times: int = 1) -> None:
        """Answer the next `times` requests of `operation` ("ec2.CreateVpc") with a 500 once
        moto has acted on them: the server did the work, the caller sees a server error."""
        with self._lock:
            self._failures[operation] += times

    def error_page_after_forwarding(self, operation: str, times: int = 1) -> None:
        """Answer the next `times` requests of `operation` with a 503 whose body is a load
        balancer's HTML error page, not AWS's error document, once moto has acted on them."""
        with self._lock:
            self._pages[operation] += times

    def count(self, operation: str) -> int:
        """How many requests of `operation` reached the server."""
        with self._lock:
            return self._requests[operation]

    @property
    def requests(self) -> Counter[str]:
        """Every request that reached the server, by "service.Action" (a copy)."""
        with self._lock:
            return Counter(self._requests)

    def mutating(self) -> Counter[str]:
        """The requests that may have changed something: every operation aws/operations.py
        does not declare a read (an undeclared one raises), and REST requests other than GET
        and HEAD."""
        return Counter({op: n for op, n in self.requests.items() if not self._reads(op)})

    def mutating_count(self) -> int:
        return sum(self.mutating().values())

    def _reads(self, operation: str) -> bool:
        service, action = operation.split(".", 1)
        if self._protocols.protocol.get(service, "").startswith("rest"):
            return action in _READ_METHODS
        return is_read(operation)

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._failures.clear()
            self._pages.clear()

    # -- the server side ----------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy._forward(self)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: test output is about the tests."""

        for method in ("HEAD", "POST", "PUT", "DELETE", "PATCH"):  # every method alike
            setattr(Handler, f"do_{method}", Handler.do_GET)
        return Handler

    def _forward(self, handler: BaseHTTPRequestHandler) -> None:
        body = _read_body(handler)
        headers = {key.lower(): value for key, value in handler.headers.items()}
        operation = self._protocols.name(handler.command, headers, body)
        with self._lock:
            self._requests[operation] += 1
            fail = self._failures[operation] > 0
            if fail:
                self._failures[operation] -= 1
            page = not fail and self._pages[operation] > 0
            if page:
                self._pages[operation] -= 1
        connection = http.client.HTTPConnection(*self._upstream, timeout=60)
        try:
            forwarded = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP_BY_HOP}
            connection.request(handler.command, handler.path, body=body, headers=forwarded)
            response = connection.getresponse()
            status, reply_headers, reply = response.status, response.getheaders(), response.read()
        finally:
            connection.close()
        if fail:
            service = operation.split(".", 1)[0]
            content_type, reply = self._protocols.error_document(
                service, "InternalError", "We encountered an internal error. Please try again."
            )
            status, reply_headers = 500, [("Content-Type", content_type)]
        if page:
            reply = ERROR_PAGE
            status, reply_headers = 503, [("Content-Type", "text/html; charset=utf-8")]
        handler.send_response(status)
        for key, value in reply_headers:
            if key.lower() not in _HOP_BY_HOP:
                handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(reply)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(reply)


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline().strip():  # trailers, up to the blank line
                    pass
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""
