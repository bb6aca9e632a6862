"""Errors the archive's operations raise, each with a message fit for the person who acted."""


class ArchiveError(Exception):
    """An operation refused: bad input or a state that does not allow it."""


class NotFound(ArchiveError):
    """No such item, recording or job."""


class Gone(ArchiveError):
    """The item was withdrawn: 410 Gone for everyone but staff."""


class DuplicateMedia(ArchiveError):
    """The same bytes are already in the archive."""

    def __init__(self, message: str, identifier: str):
        super().__init__(message)
        self.identifier = identifier
