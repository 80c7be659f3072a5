#!/usr/bin/python3
"""tests/lib/hostile_mail.py - hostile messages made on the fly (nothing big
is committed).

    hostile_mail.py CASE OUT [--to ADDR] [--n N] [--mb MB] [--jpeg FILE]

Writes one RFC 5322 message to OUT ("-" = stdout). Every message is from
anna.belova@example.net to --to (default ivan.petrov@letters.example.org)
and carries a short, clean Russian letter unless the case is about the
text itself. Cases (the expected verdict is the test's business):

  many_headers    N (default 10000) X- header fields
  long_header     one header line of N KB (default 200)
  nested          multipart nested N deep (default 1000)
  nested_rfc822   message/rfc822 nested N deep (default 1000)
  parts           N leaf parts (default 10000)
  boundary_conflict  two different boundary parameters on one multipart
  gmime165        GMime issue #165 trigger: a 72-byte non-ASCII parameter
                  name in a multipart Content-Type without a boundary
  gmime165_disp   the same loop through a long name in Content-Disposition
  nul             NUL bytes in headers and body
  bad_utf8        invalid UTF-8 in a utf-8 body, broken encoded-words
  video           a base64 video/mp4 attachment of MB megabytes (default 30)
  zipbomb         a zip whose one member inflates to 1 GB (never unpacked)
  noise_html      MB megabytes of noise as a base64 text/html part in charset CS
                  (--cs, default utf-8): millions of characters once decoded
  png_bomb        a PNG declaring 30000x30000 whose IDAT really inflates to it
  jpeg_bomb       a JPEG (--jpeg FILE, a small real one) whose frame header
                  is patched to 60000x60000
"""
import base64
import struct
import sys
import zlib

BODY = ("Здравствуйте, Иван! Пишу вам из Казани. Весна пришла рано, во дворе "
        "расцвела сирень. Мы все о вас помним и ждём домой.\n")


def head(to, extra=b"", ctype=b"text/plain; charset=utf-8"):
    return (b"From: Anna Belova <anna.belova@example.net>\r\n"
            b"To: " + to.encode() + b"\r\n"
            b"Subject: =?utf-8?B?" + base64.b64encode("Письмо".encode()) + b"?=\r\n"
            b"Message-ID: <hostile@example.net>\r\n"
            b"Date: Mon, 3 Jun 2024 10:00:00 +0000\r\n"
            b"MIME-Version: 1.0\r\n" + extra +
            b"Content-Type: " + ctype + b"\r\n")


def text_part():
    return (b"Content-Type: text/plain; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: 8bit\r\n\r\n" + BODY.encode() + b"\r\n")


def b64(data):
    s = base64.encodebytes(data)  # 76-char lines, "\n"
    return s.replace(b"\n", b"\r\n")


def mixed(to, parts, boundary=b"=_b"):
    out = [head(to, ctype=b'multipart/mixed; boundary="' + boundary + b'"'), b"\r\n"]
    for p in [text_part()] + parts:
        out += [b"--" + boundary + b"\r\n", p]
    out.append(b"--" + boundary + b"--\r\n")
    return b"".join(out)


def attachment(ctype, name, data):
    return (b"Content-Type: " + ctype + b'; name="' + name + b'"\r\n'
            b'Content-Disposition: attachment; filename="' + name + b'"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\n" + b64(data))


def png_bomb(w=30000, h=30000):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    co = zlib.compressobj(9)
    row = b"\0" * (w // 8 + 1)  # 1-bit greyscale: filter byte + w/8 bytes
    comp = [co.compress(row * 1000) for _ in range(h // 1000)]
    comp.append(co.flush())
    ihdr = struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"".join(comp)) +
            chunk(b"IEND", b""))


def jpeg_bomb(path, w=60000, h=60000):
    data = bytearray(open(path, "rb").read())
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            raise SystemExit("jpeg_bomb: not a JPEG marker at %d" % i)
        marker = data[i + 1]
        seglen = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            data[i + 5:i + 9] = struct.pack(">HH", h, w)
            return bytes(data)
        i += 2 + seglen
    raise SystemExit("jpeg_bomb: no SOF marker")


def zipbomb(gb=1):
    # One member of gb GB of zeros, raw deflate. A 16 MB block compressed
    # once and ended with a full flush compresses to the same bytes every
    # time, so the stream is that block repeated, then an empty final block.
    size = gb << 30
    chunk = 16 << 20
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = b"\0" * chunk
    one = co.compress(block) + co.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(size // chunk):
        crc = zlib.crc32(block, crc)
    comp = one * (size // chunk) + zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    name = b"zeros.bin"
    zip64 = struct.pack("<HHQQ", 1, 16, size, len(comp))
    local = (struct.pack("<IHHHHHIIIHH", 0x04034b50, 45, 0, 8, 0, 0, crc & 0xffffffff,
                         0xffffffff, 0xffffffff, len(name), len(zip64)) + name + zip64)
    central_extra = struct.pack("<HHQQ", 1, 16, size, len(comp))
    central = (struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 45, 45, 0, 8, 0, 0,
                           crc & 0xffffffff, 0xffffffff, 0xffffffff, len(name),
                           len(central_extra), 0, 0, 0, 0, 0) + name + central_extra)
    cd_off = len(local) + len(comp)
    end = struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 1, 1, len(central), cd_off, 0)
    return local + comp + central + end


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    case, out = args[0], args[1]
    opts = {"--to": "ivan.petrov@letters.example.org", "--n": None, "--mb": "30", "--jpeg": None,
            "--cs": None}
    rest = args[2:]
    while rest:
        opts[rest[0]] = rest[1]
        rest = rest[2:]
    to = opts["--to"]
    n = int(opts["--n"]) if opts["--n"] else None

    if case == "many_headers":
        n = n or 10000
        extra = b"".join(b"X-Filler-%d: value number %d for the header count\r\n" % (i, i)
                         for i in range(n))
        msg = head(to, extra) + b"\r\n" + BODY.encode()
    elif case == "long_header":
        kb = n or 200
        extra = b"X-Long: " + b"a" * (kb * 1024) + b"\r\n"
        msg = head(to, extra) + b"\r\n" + BODY.encode()
    elif case == "nested":
        n = n or 1000
        out_ = [head(to, ctype=b'multipart/mixed; boundary="b0"'), b"\r\n"]
        for i in range(1, n):
            out_.append(b"--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n" % (i - 1, i))
        out_.append(b"--b%d\r\n" % (n - 1) + text_part())
        for i in range(n - 1, -1, -1):
            out_.append(b"--b%d--\r\n" % i)
        msg = b"".join(out_)
    elif case == "nested_rfc822":
        n = n or 1000
        inner = text_part()
        msg = b"".join([head(to, ctype=b"message/rfc822"), b"\r\n"] +
                       [b"Subject: level %d\r\nContent-Type: message/rfc822\r\n\r\n" % i
                        for i in range(n - 1)] + [inner])
    elif case == "parts":
        n = n or 10000
        msg = mixed(to, [b"Content-Type: application/octet-stream\r\n\r\nx%d\r\n" % i
                         for i in range(n)])
    elif case == "boundary_conflict":
        msg = (head(to, ctype=b'multipart/mixed; boundary="aaa"; boundary="bbb"') + b"\r\n" +
               b"--aaa\r\n" + text_part() + b"--bbb\r\n" +
               b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + "Скрытый текст.\r\n".encode() +
               b"--bbb--\r\n--aaa--\r\n")
    elif case == "gmime165":
        name = "ќ" * 36  # 72 bytes
        msg = (head(to, ctype=b"multipart/mixed;\r\n " + name.encode() + b'="\xd1\x9c"') +
               b"\r\n" + text_part())
    elif case == "gmime165_disp":
        name = "x" * 71
        msg = (head(to, extra=b"Content-Disposition: inline;\r\n " + name.encode() +
                    b'="\xd1\x9c\xd1\x9c"\r\n') + b"\r\n" + BODY.encode())
    elif case == "nul":
        msg = (head(to, extra=b"X-Nul: a\0b\r\n") + b"\r\n" +
               BODY.encode().replace("Казани".encode(), "Каз\0ани".encode()) + b"\0\0\0\r\n")
    elif case == "bad_utf8":
        msg = (b"From: =?utf-8?B?QW5u?= =?utf-8?Q?a_=FF=FE?= <anna.belova@example.net>\r\n"
               b"To: " + to.encode() + b"\r\n"
               b"Subject: =?utf-8?B?0J/QuNGB0YzQvNC=?= =?x-unknown?Q?abc?= =?utf-8?Q?=D0?=\r\n"
               b"Subject: =?utf-8?B?!!!?= \xff\xfe =?=?utf-8?q?x?=\r\n"
               b"Message-ID: <hostile@example.net>\r\nMIME-Version: 1.0\r\n"
               b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + BODY.encode() +
               b"\xff\xfe\xc0\xaf\xed\xa0\x80 \xd0\r\n=?utf-8?B?broken\r\n")
    elif case == "video":
        mb = int(opts["--mb"])
        data = (b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom" + bytes(range(256)) * 4096) * (mb * 4 + 1)
        data = data[:mb << 20]
        msg = mixed(to, [attachment(b"video/mp4", b"holiday.mp4", data)])
    elif case == "noise_html":
        # megabytes of noise as an HTML part in a charset: decoded, it is a
        # text of millions of characters (composing pairs, CJK from
        # ISO-2022-JP) that must be refused as too long in seconds
        import random
        data = random.Random(7).randbytes(int(opts["--mb"]) << 20)
        cs = (opts.get("--cs") or "utf-8").encode()
        msg = (head(to, extra=b"Content-Transfer-Encoding: base64\r\n",
                    ctype=b"text/html; charset=" + cs) + b"\r\n" + b64(data))
    elif case == "zipbomb":
        msg = mixed(to, [attachment(b"application/zip", b"photos.zip", zipbomb(n or 1))])
    elif case == "png_bomb":
        msg = mixed(to, [attachment(b"image/png", b"photo.png", png_bomb())])
    elif case == "jpeg_bomb":
        if not opts["--jpeg"]:
            sys.exit("jpeg_bomb needs --jpeg FILE")
        msg = mixed(to, [attachment(b"image/jpeg", b"photo.jpg", jpeg_bomb(opts["--jpeg"]))])
    else:
        sys.exit("unknown case %s" % case)
    if out == "-":
        sys.stdout.buffer.write(msg)
    else:
        with open(out, "wb") as f:
            f.write(msg)


if __name__ == "__main__":
    main()
