"""Whoosh's segment writer, made cheaper for the long updates of a bulk import.

An import hands the index millions of postings (a term of a document). Whoosh's writer keeps
them in a pool, sorts them into runs on disk once the pool holds ``limitmb``, merges the runs
at commit and writes the segment; two of its steps cost far more than they need to:

- every posting of a run is written with its own ``pickle.dump`` and read back with its own
  ``pickle.load``: :class:`Postings` writes a run as blocks of ``RUN_BLOCK`` postings, one
  ``marshal`` call and one read each (postings are tuples of str, bytes, int and float);
- writing the segment asks the per-document reader for the length of the field in the
  document of each posting, four calls deep: :class:`_Lengths` reads each document's length
  once per field.

The segment written is the same, byte for byte: only the way there changes.
"""

from __future__ import annotations

import marshal
import struct

from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.util.numeric import byte_to_length
from whoosh.writing import PostingPool, SegmentWriter

RUN_BLOCK = 4096  # postings per marshal call: a merge holds one block of each run in memory
_SIZE = struct.Struct("<I")  # the length of a marshalled block, before it
_LENGTH_OF_BYTE = [0] + [byte_to_length(b) for b in range(1, 256)]  # 0: Whoosh's reader says None


class Postings(PostingPool):
    """Whoosh's posting pool, spilling its sorted runs in blocks rather than one by one.

    >>> import tempfile
    >>> from whoosh.filedb.filestore import FileStorage
    >>> pool = Postings(FileStorage(tempfile.mkdtemp()), None, limitmb=1)
    >>> for n in range(30_000):  # a few runs of a megabyte
    ...     pool.add(("f", b"%d" % (n % 7), n, 1.0, None))
    >>> postings = list(pool.iter_postings())
    >>> len(postings), postings[:2], postings[-1]
    (30000, [('f', b'0', 0, 1.0, None), ('f', b'0', 7, 1.0, None)], ('f', b'6', 29994, 1.0, None))
    """

    def _write_run(self, f, items):
        if isinstance(items, list):
            blocks = (items[i : i + RUN_BLOCK] for i in range(0, len(items), RUN_BLOCK))
        else:  # a merge of runs (reduce_to): read as it comes
            blocks = _blocks(items)
        for block in blocks:
            data = marshal.dumps(block)
            f.write(_SIZE.pack(len(data)))
            f.write(data)
        f.close()

    def _read_run(self, path):
        f = self._open_run(path)
        try:
            # marshal.load(f) would read a file object a few bytes at a time: read whole blocks
            while size := f.read(_SIZE.size):
                yield from marshal.loads(f.read(_SIZE.unpack(size)[0]))
        finally:
            f.close()
            self._remove_run(path)


def _blocks(items):
    block = []
    for item in items:
        block.append(item)
        if len(block) == RUN_BLOCK:
            yield block
            block = []
    if block:
        yield block


class Writer(SegmentWriter):
    """Whoosh's ``SegmentWriter`` with the :class:`Postings` pool and the lengths read once."""

    def __init__(self, ix, *, limitmb: int, **kwargs):
        super().__init__(ix, limitmb=limitmb, **kwargs)
        self.pool = Postings(self._tempstorage, self.newsegment, limitmb=limitmb)

    def _flush_segment(self):  # as SegmentWriter's, with _Lengths
        self.perdocwriter.close()
        pdr = self.per_document_reader() if self.codec.length_stats else None
        try:
            lengths = _Lengths(pdr) if pdr is not None else None
            self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
            self.fieldwriter.close()
        finally:
            if pdr is not None:
                pdr.close()


class _Lengths:
    """``doc_field_length`` of a segment being written. The postings come field by field and,
    within a field, term by term: the same few documents (an item's long transcript) are
    asked for again and again, so each field's lengths are remembered by document."""

    def __init__(self, reader):
        self.reader = reader
        self.field = None
        self.column = None
        self.known: dict[int, int] = {}

    def doc_field_length(self, docnum: int, fieldname: str) -> int:
        if fieldname != self.field:
            self.field, self.column, self.known = fieldname, self._column(fieldname), {}
        if self.column is None:
            return 0
        length = self.known.get(docnum)
        if length is None:
            length = self.known[docnum] = _LENGTH_OF_BYTE[self.column[docnum]]
        return length

    def _column(self, fieldname: str):
        """The field's lengths column; None for a field without lengths (not scorable)."""
        name = f"_{fieldname}_len"  # whoosh3's name for it
        if not self.reader.has_column(name):
            return None
        return self.reader.column_reader(name, LENGTHS_COLUMN)
