#!/usr/bin/python3
"""A local stand-in for LibreTranslate and DeepL (v2), for tests.

Follows their published request and answer formats:
  LibreTranslate  POST /translate  JSON or form {q (string or array), source,
                  target, format, api_key} -> {"translatedText": str|[str]};
                  errors {"error": "..."} with 400, 403, 429, 500.
  DeepL           POST /v2/translate  form text=... (repeated), target_lang,
                  source_lang, header "Authorization: DeepL-Auth-Key KEY" ->
                  {"translations": [{"detected_source_language", "text"}]};
                  errors {"message": "..."} with 403, 429, 456, 5xx.
The "translation" is "RU(" + text + ")": deterministic, and placeholders
survive it.

Test control (not part of either API):
  GET /_mode?libre=MODE&deepl=MODE  MODE: ok | 429 | 456 | 500 | 503 | hang |
                                    badjson
  GET /_stats                       {"libre": n, "deepl": n} requests seen
Every request body is appended to --log FILE (one JSON line per request).
Usage: fake_mt.py --port PORT [--key KEY] [--log FILE]; prints "ready" when
listening on 127.0.0.1.
"""
import argparse
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"libre": "ok", "deepl": "ok"}
STATS = {"libre": 0, "deepl": 0}
LOCK = threading.Lock()
ARGS = None


def fake(text):
    return "RU(" + text + ")"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send_json(self, code, obj, raw=None):
        body = raw if raw is not None else json.dumps(obj, ensure_ascii=False).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        if u.path == "/_mode":
            for k, v in urllib.parse.parse_qs(u.query).items():
                if k in STATE:
                    STATE[k] = v[0]
            return self.send_json(200, STATE)
        if u.path == "/_stats":
            return self.send_json(200, STATS)
        return self.send_json(404, {"error": "Not Found"})

    def body(self):
        n = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(n) if n else b""

    def failure(self, api, mode):
        """Answer an error mode; True when answered."""
        errkey = "error" if api == "libre" else "message"
        if mode == "hang":
            time.sleep(60)
            return True
        if mode == "badjson":
            self.send_json(200, None, raw=b"<html>oops</html>")
            return True
        if mode in ("429", "456", "500", "502", "503"):
            msg = {"429": "Too many requests", "456": "Quota exceeded",
                   "500": "Internal server error", "502": "Bad gateway",
                   "503": "Service unavailable"}[mode]
            self.send_json(int(mode), {errkey: msg})
            return True
        return False

    def do_POST(self):
        u = urllib.parse.urlparse(self.path)
        raw = self.body()
        api = "deepl" if u.path == "/v2/translate" else "libre" if u.path == "/translate" else None
        if api is None:
            return self.send_json(404, {"error": "Not Found"})
        with LOCK:
            STATS[api] += 1
            if ARGS.log:
                with open(ARGS.log, "a", encoding="utf-8") as f:
                    f.write(json.dumps({"api": api, "auth": self.headers.get("Authorization", ""),
                                        "body": raw.decode("utf-8", "replace")},
                                       ensure_ascii=False) + "\n")
        if self.failure(api, STATE[api]):
            return
        if api == "libre":
            return self.libre(raw)
        return self.deepl(raw)

    def libre(self, raw):
        ctype = self.headers.get("Content-Type", "")
        try:
            if ctype.startswith("application/json"):
                req = json.loads(raw)
            else:
                req = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
        except ValueError:
            return self.send_json(400, {"error": "Invalid request: bad JSON"})
        for f in ("q", "source", "target"):
            if f not in req:
                return self.send_json(400, {"error": "Invalid request: missing %s parameter" % f})
        if ARGS.key and req.get("api_key") != ARGS.key:
            return self.send_json(403, {"error": "Invalid API key"})
        if req["target"] != "ru":
            return self.send_json(400, {"error": "%s is not supported" % req["target"]})
        q = req["q"]
        if isinstance(q, list):
            return self.send_json(200, {"translatedText": [fake(x) for x in q]})
        return self.send_json(200, {"translatedText": fake(q)})

    def deepl(self, raw):
        auth = self.headers.get("Authorization", "")
        if ARGS.key and auth != "DeepL-Auth-Key " + ARGS.key:
            return self.send_json(403, {"message": "Authorization failure, check auth_key"})
        form = urllib.parse.parse_qs(raw.decode(), keep_blank_values=True)
        texts = form.get("text", [])
        if not texts or "target_lang" not in form:
            return self.send_json(400, {"message": "Parameter 'text' or 'target_lang' not specified."})
        if len(texts) > 50:
            return self.send_json(413, {"message": "Too many texts"})
        src = form.get("source_lang", ["EN"])[0]
        return self.send_json(200, {"translations": [
            {"detected_source_language": src, "text": fake(t)} for t in texts]})


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--key", default="")
    p.add_argument("--log", default="")
    ARGS = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    srv.daemon_threads = True
    print("ready", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
