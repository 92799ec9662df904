"""Write read-only bbolt (go.etcd.io/bbolt) database files in plain Python.

Trivy keeps its vulnerability DB in bbolt, a B+tree in a single memory-mapped
file.  Tests only need to *produce* a small, valid file that Trivy opens
read-only, so this writer skips everything a live database needs (branch
pages, a non-empty freelist, rebalancing) and lays the tree out once:

    page 0, 1   meta pages (identical apart from txid; bbolt uses the newer)
    page 2      empty freelist
    page 3...   one leaf page per bucket, children before their parent,
                the root bucket's leaf last

A bucket whose leaf does not fit 4096 bytes simply gets a multi-page leaf:
bbolt addresses a page's elements by byte offset from the page start and only
needs the page header's ``overflow`` count to know how many extra pages the
leaf occupies.  The layout mirrors internal/common/{page,meta,bucket}.go and
DB.init() in db.go.
"""

import struct
from collections.abc import Mapping

PAGE_SIZE = 4096
MAGIC = 0xED0CDAED
FORMAT_VERSION = 2

# Page flags (page.go).
LEAF_PAGE = 0x02
META_PAGE = 0x04
FREELIST_PAGE = 0x10
# Leaf element flag marking the value as a nested bucket header (page.go).
BUCKET_LEAF_FLAG = 0x01

FREELIST_PGID = 2
FIRST_DATA_PGID = 3

# All structs are little-endian and naturally aligned, as Go lays them out on
# amd64/arm64, so struct's "<" (no padding) matches the in-memory layout.
PAGE_HEADER = struct.Struct("<QHHI")  # id, flags, count, overflow
LEAF_ELEMENT = struct.Struct("<IIII")  # flags, pos, ksize, vsize
BUCKET_HEADER = struct.Struct("<QQ")  # root pgid, sequence
# magic, version, pageSize, flags, root bucket (pgid, sequence), freelist pgid,
# high-water-mark pgid, txid.  The checksum (uint64) follows and covers these.
META_FIELDS = struct.Struct("<IIIIQQQQQ")

# A bucket maps keys to either raw values or nested buckets.
Tree = Mapping[str | bytes, "bytes | Tree"]


def fnv1a_64(data: bytes) -> int:
    """FNV-1a 64-bit, the hash bbolt uses for the meta page checksum."""
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def _as_bytes(key: str | bytes) -> bytes:
    return key.encode() if isinstance(key, str) else key


class _PageWriter:
    """Appends data pages after the fixed meta/freelist pages."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.next_pgid = FIRST_DATA_PGID

    def bucket(self, tree: Tree) -> int:
        """Write a bucket and all its sub-buckets; return its leaf's pgid."""
        elements = []
        # bbolt binary-searches keys, so they must be sorted bytewise.
        for key, value in sorted((_as_bytes(k), v) for k, v in tree.items()):
            if isinstance(value, Mapping):
                # A non-inline bucket header: root page id and sequence 0.
                header = BUCKET_HEADER.pack(self.bucket(value), 0)
                elements.append((BUCKET_LEAF_FLAG, key, header))
            else:
                elements.append((0, key, bytes(value)))
        return self._leaf(elements)

    def _leaf(self, elements: list) -> int:
        if len(elements) > 0xFFFF:
            raise ValueError("a leaf page holds at most 65535 elements")
        headers_end = PAGE_HEADER.size + LEAF_ELEMENT.size * len(elements)
        headers, payload = bytearray(), bytearray()
        for index, (flags, key, value) in enumerate(elements):
            # ``pos`` is relative to the element header itself, not the page.
            element_offset = PAGE_HEADER.size + LEAF_ELEMENT.size * index
            pos = headers_end + len(payload) - element_offset
            headers += LEAF_ELEMENT.pack(flags, pos, len(key), len(value))
            payload += key + value
        npages = -(-(headers_end + len(payload)) // PAGE_SIZE)
        pgid = self.next_pgid
        header = PAGE_HEADER.pack(pgid, LEAF_PAGE, len(elements), npages - 1)
        page = header + headers + payload
        self.data += page.ljust(npages * PAGE_SIZE, b"\0")
        self.next_pgid += npages
        return pgid


def _meta_page(txid: int, root_pgid: int, high_water_mark: int) -> bytes:
    fields = META_FIELDS.pack(
        MAGIC, FORMAT_VERSION, PAGE_SIZE, 0, root_pgid, 0,
        FREELIST_PGID, high_water_mark, txid,
    )
    checksum = struct.pack("<Q", fnv1a_64(fields))
    # Like Meta.Write(): meta page id is txid % 2.
    header = PAGE_HEADER.pack(txid % 2, META_PAGE, 0, 0)
    return (header + fields + checksum).ljust(PAGE_SIZE, b"\0")


def dumps(tree: Tree) -> bytes:
    """Serialise nested mappings into the bytes of a bbolt database file."""
    writer = _PageWriter()
    root = writer.bucket(tree)
    freelist = PAGE_HEADER.pack(FREELIST_PGID, FREELIST_PAGE, 0, 0)
    return b"".join([
        _meta_page(0, root, writer.next_pgid),
        _meta_page(1, root, writer.next_pgid),
        freelist.ljust(PAGE_SIZE, b"\0"),
        bytes(writer.data),
    ])


def write(path, tree: Tree) -> None:
    """Write ``tree`` as a bbolt file; top-level values must be buckets."""
    if not all(isinstance(v, Mapping) for v in tree.values()):
        raise ValueError("bbolt only allows buckets at the top level")
    with open(path, "wb") as f:
        f.write(dumps(tree))
