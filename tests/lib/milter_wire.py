#!/usr/bin/env python3
"""tests/lib/milter_wire.py - an MTA's side of the milter protocol, written
byte by byte as the test chooses, to check how the daemon reads its socket.

  milter_wire.py SOCKET MODE WRITER PRISONER [SEED]

Sends one letter from WRITER@example.net to PRISONER@letters.example.org the
way Postfix does (macros before each command, no command the milter asked
to skip, no wait for a reply it asked not to give) and prints the final
reply to the end of the message: one letter (d discard, a accept, c
continue, r reject, t tempfail, y reply code, followed by its text).

MODE says how the bytes are written:
  batched   everything up to the next awaited reply in one write
  bytewise  every byte in a write of its own
  random    writes of random sizes (SEED), the body in one 23 KB command
  cut       stops in the middle of a header command and closes: prints "cut"

Exit status 0 when the exchange went as the protocol says, 1 otherwise.
"""
import random
import socket
import struct
import sys
import time
import zlib

# commands (MTA to milter) and protocol flags, from libmilter's mfdef.h
OPTNEG, MACRO, CONNECT, HELO, MAIL, RCPT = b"O", b"D", b"C", b"H", b"M", b"R"
DATA, HEADER, EOH, BODY, EOB, QUIT = b"T", b"L", b"N", b"B", b"E", b"Q"
P_NOCONNECT, P_NOHELO, P_NOMAIL, P_NORCPT = 0x1, 0x2, 0x4, 0x8
P_NOBODY, P_NOHDRS, P_NOEOH, P_NR_HDR = 0x10, 0x20, 0x40, 0x80
P_NODATA = 0x200
P_NR_CONN, P_NR_HELO, P_NR_MAIL, P_NR_RCPT = 0x1000, 0x2000, 0x4000, 0x8000
P_NR_DATA, P_NR_EOH, P_NR_BODY = 0x10000, 0x40000, 0x80000
FINAL = b"acdrty"  # accept, continue, discard, reject, tempfail, reply code


def packet(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data


def strings(*items):
    return b"".join(s.encode() + b"\0" for s in items)


class Wire:
    def __init__(self, path, mode, seed):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(60)
        self.s.connect(path)
        self.mode = mode
        self.rng = random.Random(seed)
        self.pending = b""

    def queue(self, data):
        self.pending += data

    def flush(self):
        data, self.pending = self.pending, b""
        if self.mode == "batched":
            self.s.sendall(data)
        elif self.mode == "bytewise":
            for i in range(len(data)):
                self.s.sendall(data[i : i + 1])
                if i % 64 == 0:
                    time.sleep(0.0005)  # let the daemon read mid-command
        else:
            i = 0
            while i < len(data):
                n = self.rng.choice((1, 2, 3, 5, 7, 64, 700, 4096, 9000, 20000))
                self.s.sendall(data[i : i + n])
                i += n
                time.sleep(0.0002)

    def recv_exact(self, n):
        out = b""
        while len(out) < n:
            chunk = self.s.recv(n - len(out))
            if not chunk:
                raise EOFError("the daemon closed the connection")
            out += chunk
        return out

    def reply(self):
        """flush, then read replies up to a final one"""
        self.flush()
        while True:
            (n,) = struct.unpack(">I", self.recv_exact(4))
            body = self.recv_exact(n)
            if body[:1] == OPTNEG or body[0] in FINAL:
                return body
            # progress, or a modification request (header, recipient): more follow


def letter_text(writer, mode):
    lines = ["Здравствуйте, Иван!"]
    for i in range(1, 130 if mode == "random" else 8):
        lines.append(
            "Строка %d письма от %s: у нас в Самаре %d-й день идёт снег, "
            "а дети лепят снеговиков и ждут вас дома." % (i, writer, i)
        )
    lines.append("Обнимаем, %s" % writer)
    return "\r\n".join(lines) + "\r\n"


def main():
    path, mode, writer, prisoner = sys.argv[1:5]
    seed = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    w = Wire(path, mode, seed)
    qid = "4Q%06X" % (zlib.crc32((writer + mode).encode()) & 0xFFFFFF)
    sender = "%s@example.net" % writer
    rcpt = "%s@letters.example.org" % prisoner

    # negotiation: offer every step and every "no reply" flag Postfix offers
    w.queue(packet(OPTNEG, struct.pack(">III", 6, 0x1FF, 0x1FFFFF)))
    r = w.reply()
    if r[:1] != OPTNEG or len(r) < 13:
        print("bad negotiation reply %r" % r[:1])
        return 1
    _, _, flags = struct.unpack(">III", r[1:13])

    def step(cmd, data, skip_flag, nr_flag, macros=None):
        """macros (always sent, as Postfix does), then the command unless
        skipped; returns whether a reply is due"""
        if macros is not None:
            w.queue(packet(MACRO, cmd + strings(*macros)))
        if flags & skip_flag:
            return False
        w.queue(packet(cmd, data))
        return not (flags & nr_flag)

    def expect_continue(what):
        r = w.reply()
        if r[:1] != b"c":
            print("%s: reply %r" % (what, r[:1]))
            sys.exit(1)

    conn = strings("client.example.net") + b"4" + struct.pack(">H", 25) + strings("192.0.2.7")
    if step(CONNECT, conn, P_NOCONNECT, P_NR_CONN,
            ["j", "mx.example.org", "{daemon_name}", "mx", "v", "Postfix 3.7"]):
        expect_continue("connect")
    if step(HELO, strings("client.example.net"), P_NOHELO, P_NR_HELO, []):
        expect_continue("helo")
    if step(MAIL, strings("<%s>" % sender), P_NOMAIL, P_NR_MAIL,
            ["i", qid, "{mail_addr}", sender]):
        expect_continue("mail")
    if step(RCPT, strings("<%s>" % rcpt), P_NORCPT, P_NR_RCPT,
            ["{rcpt_addr}", rcpt, "{rcpt_host}", "letters.example.org"]):
        expect_continue("rcpt")
    if step(DATA, b"", P_NODATA, P_NR_DATA, ["i", qid]):
        expect_continue("data")

    text = letter_text(writer, mode).encode()
    headers = [
        ("From", "%s <%s>" % (writer.replace(".", " ").title(), sender)),
        ("To", rcpt),
        ("Subject", "=?UTF-8?B?0J/QuNGB0YzQvNC+?="),
        ("Message-ID", "<wire-%s-%s@example.net>" % (mode, writer)),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Transfer-Encoding", "8bit"),
    ]
    for n, (name, value) in enumerate(headers):
        if mode == "cut" and n == 3:
            h = packet(HEADER, strings(name, value))
            w.queue(h[: len(h) // 2])
            w.flush()
            w.s.close()
            print("cut")
            return 0
        if step(HEADER, strings(name, value), P_NOHDRS, P_NR_HDR, ["i", qid]):
            expect_continue("header")
    if step(EOH, b"", P_NOEOH, P_NR_EOH, ["i", qid]):
        expect_continue("eoh")
    # one body command (Postfix's chunks are up to 65535 bytes)
    if step(BODY, text, P_NOBODY, P_NR_BODY, ["i", qid]):
        expect_continue("body")
    w.queue(packet(MACRO, EOB + strings("i", qid)))
    w.queue(packet(EOB))
    r = w.reply()
    w.queue(packet(QUIT))
    w.flush()
    w.s.close()
    print(r[:1].decode() + (" " + r[1:].rstrip(b"\0").decode("utf-8", "replace") if len(r) > 1 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
