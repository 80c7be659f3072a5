#!/usr/bin/env python3
"""A local electronic-letter partner following the DESIGN.md "Partner HTTP API".

serve mode (default):
  fake_partner.py --port P --secret-file F --log requests.jsonl [--mode ok|500|429|hang|400]
                  [--retry-after SECONDS] [--auto-status delivered|censored] [--hang-seconds N]
                  [--delay SECONDS]

  POST /letters (any path not starting with /_ or /status): a letter.
    The signature (X-Lettergate-Signature: sha256=<hex HMAC of body>) is
    checked; a bad one gets 401. Every request is appended to the JSONL log
    as {"t", "path", "key", "sig_ok", "id", "status", "count", "bytes", "photos",
    "text", "reply_to", "prisoner"}: "count" is how many times this
    Idempotency-Key was seen (so doubles are visible); a repeated key is
    answered 200 again, as a real idempotent API would.
  POST /_control {"mode": "...", "retry_after": N, "fail_next": N, "delay": S}: change behaviour.
    fail_next N answers the next N letters with the mode, then back to ok.
  GET /_stats -> {"requests": n, "unique": n, "doubles": [keys seen accepted twice or more]}
  GET /status -> signed JSON array of status events ({id, status, reason}),
    drained; with --auto-status every accepted letter queues one event.

smtp mode:
  fake_partner.py smtp --port P --dir D [--code 250|451|550]
  an SMTP sink: each message accepted is written to D/<n>.eml with
  D/<n>.env ({"from", "rcpt"}); --code answers every DATA with that code.

report mode:
  fake_partner.py report --url http://127.0.0.1:PORT/partner/status --secret-file F
                  --id ID --status delivered|censored|reply [--reason TEXT]
  posts one signed status event like a partner would; prints the HTTP code.
"""
import argparse
import hashlib
import hmac
import json
import socket
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def read_secret(path):
    with open(path, "rb") as f:
        return f.readline().strip()


def sign(secret, body):
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.mode = args.mode
        self.retry_after = args.retry_after
        self.fail_next = -1  # -1: mode applies to every request
        self.seen = {}  # key -> times accepted
        self.requests = 0
        self.events = []
        self.args = args
        self.secret = read_secret(args.secret_file)
        self.log = open(args.log, "a", buffering=1) if args.log else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):  # quiet
        pass

    def setup(self):
        super().setup()
        # headers and body go out in separate writes: without this, Nagle
        # and the client's delayed ACK add 40 ms to every request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def reply(self, code, obj=None, headers=None):
        body = json.dumps(obj if obj is not None else {}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        st = self.server.st
        if self.path.startswith("/_stats"):
            with st.lock:
                doubles = [k for k, v in st.seen.items() if v > 1]
                self.reply(200, {"requests": st.requests, "unique": len(st.seen),
                                 "doubles": doubles})
            return
        if self.path.startswith("/status"):
            with st.lock:
                ev, st.events = st.events, []
            body = json.dumps(ev).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Lettergate-Signature", sign(st.secret, body))
            self.end_headers()
            self.wfile.write(body)
            return
        self.reply(404, {"error": "not found"})

    def do_POST(self):
        st = self.server.st
        body = self.read_body()
        if self.path.startswith("/_control"):
            c = json.loads(body or b"{}")
            with st.lock:
                if "mode" in c:
                    st.mode = c["mode"]
                if "delay" in c:
                    st.args.delay = float(c["delay"])
                if "retry_after" in c:
                    st.retry_after = str(c["retry_after"])
                if "fail_next" in c:
                    st.fail_next = int(c["fail_next"])
                elif "mode" in c:
                    st.fail_next = -1
            self.reply(200, {"mode": st.mode})
            return
        key = self.headers.get("Idempotency-Key", "")
        sig = self.headers.get("X-Lettergate-Signature", "")
        sig_ok = hmac.compare_digest(sig, sign(st.secret, body))
        rec = {"t": time.time(), "path": self.path, "key": key, "sig_ok": sig_ok,
               "bytes": len(body)}
        try:
            doc = json.loads(body)
            rec.update({"id": doc.get("id"), "text": doc.get("text"),
                        "reply_to": (doc.get("sender") or {}).get("reply_to"),
                        "sender_name": (doc.get("sender") or {}).get("name"),
                        "prisoner": (doc.get("prisoner") or {}).get("alias"),
                        "photos": len(doc.get("photos") or []),
                        "pages": doc.get("pages")})
        except ValueError:
            doc = None
        with st.lock:
            st.requests += 1
            mode = st.mode
            if st.fail_next == 0:
                mode = st.mode = "ok"
                st.fail_next = -1
            elif st.fail_next > 0:
                st.fail_next -= 1
            if not sig_ok:
                code = 401
            elif doc is None or doc.get("id") != key:
                code = 400
            elif mode == "ok":
                code = 200
                st.seen[key] = st.seen.get(key, 0) + 1
                if st.args.auto_status:
                    st.events.append({"id": key, "status": st.args.auto_status,
                                      "reason": "auto"})
            elif mode == "hang":
                code = 0
            else:
                code = int(mode)
            rec["status"] = code
            rec["count"] = st.seen.get(key, 0)
            if st.log:
                st.log.write(json.dumps(rec, ensure_ascii=False) + "\n")
        if code == 200 and st.args.delay > 0:
            time.sleep(st.args.delay)
        if code == 0:
            time.sleep(st.args.hang_seconds)
            self.close_connection = True
            return
        headers = {}
        if code == 429 or code == 503:
            headers["Retry-After"] = st.retry_after
        if code == 200:
            self.reply(200, {"ref": "P-" + key}, headers)
        else:
            self.reply(code, {"error": "mode %s" % mode}, headers)


def serve(args):
    srv = ThreadingHTTPServer((args.host, args.port), Handler)
    srv.daemon_threads = True
    srv.st = State(args)
    if args.pid_file:
        with open(args.pid_file, "w") as f:
            import os
            f.write("%d\n" % os.getpid())
    srv.serve_forever()


def report(args):
    secret = read_secret(args.secret_file)
    body = json.dumps({"id": args.id, "status": args.status,
                       "reason": args.reason}, ensure_ascii=False).encode()
    sig = args.bad_signature and "sha256=" + "0" * 64 or sign(secret, body)
    req = urllib.request.Request(args.url, data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Lettergate-Signature": sig})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            print(r.status)
    except urllib.error.HTTPError as e:
        print(e.code)


def smtp_sink(args):
    import warnings
    warnings.simplefilter("ignore")
    import asyncore
    import smtpd

    class Sink(smtpd.SMTPServer):
        n = 0

        def process_message(self, peer, mailfrom, rcpttos, data, **kw):
            if args.code != "250":
                return "%s %s.0.0 told to refuse" % (args.code, args.code[0])
            Sink.n += 1
            base = "%s/%d" % (args.dir, Sink.n)
            with open(base + ".eml", "wb") as f:
                f.write(data if isinstance(data, bytes) else data.encode())
            with open(base + ".env", "w") as f:
                json.dump({"from": mailfrom, "rcpt": rcpttos}, f)
            return None

    Sink(("127.0.0.1", args.port), None, decode_data=False)
    asyncore.loop()


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "smtp":
        p = argparse.ArgumentParser(prog="fake_partner.py smtp")
        p.add_argument("--port", type=int, required=True)
        p.add_argument("--dir", required=True)
        p.add_argument("--code", default="250")
        smtp_sink(p.parse_args(sys.argv[2:]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "report":
        p = argparse.ArgumentParser(prog="fake_partner.py report")
        p.add_argument("--url", required=True)
        p.add_argument("--secret-file", required=True)
        p.add_argument("--id", required=True)
        p.add_argument("--status", required=True)
        p.add_argument("--reason", default="")
        p.add_argument("--bad-signature", action="store_true")
        report(p.parse_args(sys.argv[2:]))
        return
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--secret-file", required=True)
    p.add_argument("--log", default="")
    p.add_argument("--mode", default="ok")
    p.add_argument("--retry-after", default="1")
    p.add_argument("--hang-seconds", type=float, default=30)
    p.add_argument("--auto-status", default="")
    p.add_argument("--delay", type=float, default=0, help="seconds before each 200")
    p.add_argument("--pid-file", default="")
    serve(p.parse_args())


if __name__ == "__main__":
    main()
