#!/usr/bin/env python3
"""tests/eml/org/make_batch.py N [OUT] - an organisation's batch: one message
with N message/rfc822 attachments, each a supporter's letter (Russian text,
From with a display name). Every 10th letter (index 9, 19, ...) carries
obscene words and is refused by screening; every 25th (24, 49, ...) is the
same text as the one before from the same supporter. Message-Id is
<batch-N@org.example>."""
import sys
from email.message import EmailMessage
from email.policy import SMTP

n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
outer = EmailMessage()
outer["From"] = "Letters Club <batch@org.example>"
outer["To"] = "ivan.petrov@letters.example.org"
outer["Subject"] = f"Batch of {n} letters"
outer["Message-Id"] = f"<batch-{n}@org.example>"
outer.set_content("Cover note: letters from our supporters are attached.\n")
cities = ["Казани", "Перми", "Твери", "Самары", "Омска", "Томска", "Рязани", "Тулы"]
for i in range(n):
    inner = EmailMessage()
    k = i - 1 if i % 25 == 24 else i
    inner["From"] = f"Сторонник {k:03d} <supporter{k:03d}@mail.example>"
    inner["Subject"] = "Письмо"
    inner["Message-Id"] = f"<letter-{i:03d}@org.example>"
    if i % 10 == 9:
        body = f"Письмо номер {i}. Эти суки и блядь такие-то, хуй им всем."
    else:
        body = (f"Здравствуйте! Пишу вам из {cities[k % len(cities)]}. Письмо номер {k}. "
                "Мы помним о вас и ждём вас дома. Берегите себя, весна уже близко.")
    inner.set_content(body)
    outer.add_attachment(inner)
data = outer.as_bytes(policy=SMTP)
if len(sys.argv) > 2:
    open(sys.argv[2], "wb").write(data)
else:
    sys.stdout.buffer.write(data)
