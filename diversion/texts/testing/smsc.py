"""A small SMSC for the tests: an SMPP server that plays the phones.

Jasmin's SMPP client connector binds to it as a carrier's would. It answers every submit_sm,
keeps what was sent (reassembling long messages), sends the delivery receipt the sender asked
for (DELIVRD, or UNDELIV for a number in `undeliverable`), and lets a test send a phone's
reply (deliver_sm) to the gateway. PDUs are encoded and decoded by smpplib.
"""

import contextlib
import itertools
import secrets
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from smpplib import consts
from smpplib.smpp import make_pdu, parse_pdu


@dataclass
class Received:
    """One text as a phone got it."""

    to: str
    sender: str
    text: str
    message_ids: list[str]
    at: float = field(default_factory=time.monotonic)


class _Sequence:
    def __init__(self):
        self._counter = itertools.count(1)
        self.sequence = 0

    def next_sequence(self):
        self.sequence = next(self._counter)
        return self.sequence


def _decode(pdu) -> tuple[bytes, dict | None]:
    """The user data and, for a part of a long message, its (ref, total, seq)."""
    data = pdu.short_message or pdu.message_payload or b""
    if isinstance(data, str):
        data = data.encode("latin-1")
    if pdu.esm_class and pdu.esm_class & 0x40:  # a user data header leads the payload
        header_len = data[0]
        header, data = data[1:1 + header_len], data[1 + header_len:]
        if len(header) >= 5 and header[0] == 0x00:
            return data, {"ref": header[2], "total": header[3], "seq": header[4]}
        if len(header) >= 6 and header[0] == 0x08:
            return data, {"ref": struct.unpack(">H", header[2:4])[0], "total": header[4],
                          "seq": header[5]}
    if pdu.sar_total_segments:
        return data, {"ref": pdu.sar_msg_ref_num, "total": pdu.sar_total_segments,
                      "seq": pdu.sar_segment_seqnum}
    return data, None


def _text(data: bytes, coding: int | None) -> str:
    if coding == 8:
        return data.decode("utf-16-be")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


class SMSC:
    """Listen on 127.0.0.1:PORT (a free one by default); `start()`, then `stop()`."""

    def __init__(self, *, system_id="smsc", password="smscpwd", short_code="4242"):
        self.system_id, self.password, self.short_code = system_id, password, short_code
        self.received: list[Received] = []
        self.undeliverable: set[str] = set()
        self.receipts = True
        self.receipt_delay = 0.3
        self.answer_delay = 0.15
        self._parts: dict = {}
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._bound: list[tuple[socket.socket, threading.Lock]] = []
        self._seq = _Sequence()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._stopping = False

    # --- what the tests use ------------------------------------------------------------

    def start(self) -> "SMSC":
        threading.Thread(target=self._accept, daemon=True, name="smsc-accept").start()
        return self

    def stop(self) -> None:
        self._stopping = True
        with contextlib.suppress(OSError):
            self._server.close()
        for conn in list(self._conns):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
                conn.close()

    def wait_bound(self, timeout: float = 20) -> None:
        self._wait(lambda: self._bound, timeout, "the gateway to bind")

    def to(self, number: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.to == number]

    def wait_for(self, number: str, count: int = 1, timeout: float = 15) -> list[Received]:
        self._wait(lambda: len(self.to(number)) >= count, timeout,
                   f"{count} text(s) to {number}")
        return self.to(number)

    def send_mo(self, *, sender: str, text: str) -> None:
        """A phone at SENDER texts the program's short code."""
        data = text.encode("utf-16-be") if not text.isascii() else text.encode()
        self._send_to_gateway(
            "deliver_sm", source_addr_ton=1, source_addr_npi=1, source_addr=sender.lstrip("+"),
            dest_addr_ton=0, dest_addr_npi=1, destination_addr=self.short_code, esm_class=0,
            data_coding=8 if not text.isascii() else 0, short_message=data)

    # --- the server ----------------------------------------------------------------------

    def _wait(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"the test SMSC waited {timeout} s for {what}")
            time.sleep(0.05)

    def _accept(self):
        while not self._stopping:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True,
                             name="smsc-conn").start()

    def _send_to_gateway(self, command, **params):
        self._wait(lambda: self._bound, 20, "the gateway to bind")
        conn, wlock = self._bound[-1]
        pdu = make_pdu(command, client=self._seq, **params)
        with wlock:
            conn.sendall(pdu.generate())

    def _serve(self, conn: socket.socket):
        wlock = threading.Lock()

        def reply(pdu, sequence=None):
            if sequence is not None:
                # smpplib's responses take the client's counter unless told otherwise.
                pdu.sequence = sequence
            with wlock:
                conn.sendall(pdu.generate())

        try:
            while True:
                head = self._recv(conn, 4)
                (length,) = struct.unpack(">L", head)
                pdu = parse_pdu(head + self._recv(conn, length - 4), client=self._seq,
                                allow_unknown_opt_params=True)
                command = pdu.command
                if command.startswith("bind_"):
                    ok = (pdu.system_id in (self.system_id, self.system_id.encode())
                          and pdu.password in (self.password, self.password.encode()))
                    resp = make_pdu(f"{command}_resp", client=self._seq,
                                    status=consts.SMPP_ESME_ROK if ok else
                                    consts.SMPP_ESME_RINVPASWD, system_id=self.system_id)
                    reply(resp, pdu.sequence)
                    if ok:
                        self._bound.append((conn, wlock))
                elif command == "enquire_link":
                    reply(make_pdu("enquire_link_resp", client=self._seq), pdu.sequence)
                elif command == "unbind":
                    reply(make_pdu("unbind_resp", client=self._seq), pdu.sequence)
                    return
                elif command == "submit_sm":
                    message_id = secrets.token_hex(8)
                    time.sleep(self.answer_delay)  # a carrier takes a moment to answer
                    reply(make_pdu("submit_sm_resp", client=self._seq, message_id=message_id),
                          pdu.sequence)
                    self._submitted(pdu, message_id, reply)
                # deliver_sm_resp and generic_nack need no answer.
        except (OSError, ValueError, struct.error):
            return
        finally:
            self._bound = [b for b in self._bound if b[0] is not conn]
            with contextlib.suppress(OSError):
                conn.close()

    @staticmethod
    def _recv(conn, size):
        data = b""
        while len(data) < size:
            chunk = conn.recv(size - len(data))
            if not chunk:
                raise OSError("closed")
            data += chunk
        return data

    def _submitted(self, pdu, message_id, reply):
        to = "+" + _as_str(pdu.destination_addr).lstrip("+")
        sender = _as_str(pdu.source_addr)
        data, part = _decode(pdu)
        with self._lock:
            if part is None:
                self.received.append(Received(to=to, sender=sender, message_ids=[message_id],
                                              text=_text(data, pdu.data_coding)))
            else:
                key = (to, part["ref"])
                parts = self._parts.setdefault(key, {})
                parts[part["seq"]] = (data, message_id)
                if len(parts) == part["total"]:
                    del self._parts[key]
                    ordered = [parts[i] for i in sorted(parts)]
                    self.received.append(Received(
                        to=to, sender=sender, message_ids=[m for _, m in ordered],
                        text=_text(b"".join(d for d, _ in ordered), pdu.data_coding)))
        if self.receipts and (pdu.registered_delivery or 0) & 0x01:
            stat = "UNDELIV" if to in self.undeliverable else "DELIVRD"
            now = datetime.now(UTC).strftime("%y%m%d%H%M")
            receipt = (f"id:{message_id} sub:001 dlvrd:{'001' if stat == 'DELIVRD' else '000'} "
                       f"submit date:{now} done date:{now} stat:{stat} "
                       f"err:{'000' if stat == 'DELIVRD' else '001'} text:")
            receipt_pdu = make_pdu(
                "deliver_sm", client=self._seq, source_addr_ton=1, source_addr_npi=1,
                source_addr=to.lstrip("+"), dest_addr_ton=0, dest_addr_npi=1,
                destination_addr=sender or self.short_code, esm_class=0x04, data_coding=0,
                short_message=receipt.encode(), receipted_message_id=message_id,
                message_state=2 if stat == "DELIVRD" else 5)
            # A real network answers later; the gateway maps the id only after its resp.
            threading.Timer(self.receipt_delay, _quietly, (reply, receipt_pdu)).start()


def _quietly(reply, pdu):
    with contextlib.suppress(OSError):
        reply(pdu)


def _as_str(value) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value or ""
