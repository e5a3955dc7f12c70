"""Local fakes of the SMS.ru and SMSC HTTP APIs: real HTTP on 127.0.0.1, answers shaped
like the providers' documented JSON, and a record of every request received."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class FakeProvider:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.script: list[tuple[int, dict | str]] = []  # queued (http status, body)
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                fields = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                provider.requests.append({"path": urlparse(self.path).path, **fields})
                status, body = provider.answer(self.path, fields)
                payload = body if isinstance(body, str) else json.dumps(body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(payload.encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, path: str, fields: dict) -> tuple[int, dict | str]:
        if self.script:
            return self.script.pop(0)
        return 200, self.success(fields)

    def success(self, fields: dict) -> dict:
        raise NotImplementedError

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FakeSmsRu(FakeProvider):
    def success(self, fields):
        phone = fields.get("to", "")
        return {"status": "OK", "status_code": 100, "balance": 4122.56,
                "sms": {phone: {"status": "OK", "status_code": 100,
                                "sms_id": f"000000-{len(self.requests):08d}"}}}

    @staticmethod
    def error(code: int, text: str) -> dict:
        return {"status": "ERROR", "status_code": code, "status_text": text}

    @staticmethod
    def number_error(phone: str, code: int, text: str) -> dict:
        return {"status": "OK", "status_code": 100,
                "sms": {phone: {"status": "ERROR", "status_code": code, "status_text": text}}}


class FakeSmsc(FakeProvider):
    def success(self, fields):
        return {"id": len(self.requests), "cnt": 1}

    @staticmethod
    def error(code: int, text: str) -> dict:
        return {"error": text, "error_code": code}
