"""The transcript formats' public API, at the path an outside check imports.

The readers and writers live in archive/catalogue/transcript_formats.py, beside the transcripts
they fill, and the OHMS record writer in archive/exchange/ohms.py. The third-party conformance
check (tests/data/conformance/transcripts/check.py, a copy of the one other people run against
the archive unchanged) imports ``archive/transcript_formats.py``, so this module re-exports the
API there. Code inside the archive imports from the modules themselves.
"""

from archive.catalogue.transcript_formats import (
    FORMATS,
    ParsedSegment,
    TranscriptFormatError,
    detect_format,
    format_timestamp,
    parse,
    parse_ohms,
    parse_srt,
    parse_text,
    parse_webvtt,
    to_text,
    to_webvtt,
)
from archive.exchange.ohms import OhmsRecord, OhmsTranscript, to_ohms

__all__ = [
    "FORMATS",
    "OhmsRecord",
    "OhmsTranscript",
    "ParsedSegment",
    "TranscriptFormatError",
    "detect_format",
    "format_timestamp",
    "parse",
    "parse_ohms",
    "parse_srt",
    "parse_text",
    "parse_webvtt",
    "to_ohms",
    "to_text",
    "to_webvtt",
]
