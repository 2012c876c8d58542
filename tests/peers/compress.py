#!/usr/bin/env python3
"""RFC 3274 compressed data for Wharf's AS2 tests, made without Wharf's code: zlib from
Python's standard library, the ASN.1 written here. `compress.py IN OUT [ber]`: DER, or BER
with indefinite lengths and a constructed octet string (as some AS2 products send)."""
import sys
import zlib

OID_COMPRESSED = bytes.fromhex("2a864886f70d0109100109")
OID_ZLIB = bytes.fromhex("2a864886f70d0109100308")
OID_DATA = bytes.fromhex("2a864886f70d010701")


def tlv(tag, content):
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + length + content


def indefinite(tag, content):
    return bytes([tag, 0x80]) + content + b"\x00\x00"


def main():
    data = open(sys.argv[1], "rb").read()
    z = zlib.compress(data)
    ber = len(sys.argv) > 3 and sys.argv[3] == "ber"
    wrap = indefinite if ber else tlv
    if ber:
        octets = indefinite(0x24, b"".join(tlv(0x04, z[i:i + 100]) for i in range(0, len(z), 100)))
    else:
        octets = tlv(0x04, z)
    encap = wrap(0x30, tlv(0x06, OID_DATA) + wrap(0xA0, octets))
    cd = wrap(0x30, tlv(0x02, b"\x00") + tlv(0x30, tlv(0x06, OID_ZLIB)) + encap)
    ci = wrap(0x30, tlv(0x06, OID_COMPRESSED) + wrap(0xA0, cd))
    open(sys.argv[2], "wb").write(ci)


main()
