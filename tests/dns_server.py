"""An authoritative DNS server on 127.0.0.1 for the tests (dnslib), and one that never answers.

The domain-authentication checks (outreach.services.domain_auth) resolve through
DNS_NAMESERVERS / DNS_PORT; the tests point those at ``LocalDnsServer`` so no query
ever leaves this machine. Records are zone-file lines::

    server.load('''
        jengu.test.            TXT  "v=spf1 a:smtp.jengu.test -all"
        smtp.jengu.test.       A    192.0.2.30
        s1._domainkey.jengu.test.  CNAME  s1.keys.provider.test.
    ''')

Answers follow RFC 1034: a name with records of other types answers NOERROR with no
data (dnslib's own ZoneResolver says NXDOMAIN there, which would turn every "no AAAA"
into a void lookup), an unknown name NXDOMAIN, and a CNAME is followed within the zone.
``SilentDnsServer`` binds a UDP port and never reads it: every query times out.
"""

from __future__ import annotations

import socket

from dnslib import QTYPE, RCODE, RR
from dnslib.server import BaseResolver, DNSLogger, DNSServer

DEFAULT_TTL = 60


class _Zone(BaseResolver):
    def __init__(self):
        self.records: list[RR] = []
        self.queries: list[tuple[str, str]] = []

    def load(self, text: str) -> None:
        # one record per line, each with its owner name (leading blanks are not "same owner" here)
        lines = "\n".join(line.strip() for line in text.splitlines())
        self.records = list(RR.fromZone(lines, ttl=DEFAULT_TTL)) if lines.strip() else []

    def _named(self, name: str) -> list[RR]:
        return [rr for rr in self.records if str(rr.rname).lower() == name]

    def resolve(self, request, handler):
        reply = request.reply()
        name = str(request.q.qname).lower()
        qtype = QTYPE[request.q.qtype]
        self.queries.append((name.rstrip("."), qtype))
        for _ in range(8):  # a CNAME chain inside the zone, as a recursive resolver answers it
            records = self._named(name)
            if not records:
                if not reply.rr:
                    reply.header.rcode = RCODE.NXDOMAIN
                return reply
            matching = [rr for rr in records if QTYPE[rr.rtype] == qtype]
            if matching:
                for rr in matching:
                    reply.add_answer(rr)
                return reply
            cname = next((rr for rr in records if QTYPE[rr.rtype] == "CNAME"), None)
            if cname is None:
                return reply  # NOERROR, no data
            reply.add_answer(cname)
            name = str(cname.rdata.label).lower()
        return reply


class LocalDnsServer:
    """A dnslib server on 127.0.0.1:<free port> answering from the zone given to ``load``."""

    def __init__(self):
        self.zone = _Zone()
        # dnslib logs every request at INFO on stdout by default; the tests read the zone's log
        self._server = DNSServer(
            self.zone, address="127.0.0.1", port=0, logger=DNSLogger(log="-request,-reply,-truncated", prefix=False)
        )
        self.address = "127.0.0.1"
        self.port = self._server.server.server_address[1]

    def __enter__(self) -> LocalDnsServer:
        self._server.start_thread()
        return self

    def __exit__(self, *exc) -> None:
        self._server.stop()
        self._server.server.server_close()

    def load(self, text: str) -> None:
        self.zone.load(text)
        self.zone.queries.clear()

    @property
    def queries(self) -> list[tuple[str, str]]:
        return self.zone.queries


class SilentDnsServer:
    """A UDP socket on 127.0.0.1 that receives queries and never answers them: a DNS outage."""

    def __init__(self):
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self.address, self.port = self._socket.getsockname()

    def __enter__(self) -> SilentDnsServer:
        return self

    def __exit__(self, *exc) -> None:
        self._socket.close()
