"""The catalogue: items, their recordings and files, users, jobs and the audit trail.

Models describe; the operations in ``archive.operations`` act.  No method here
commits.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from archive.db import by_code_point, db

ITEM_TYPES = ("testimony", "poem", "song", "interview", "lecture", "event")
ACCESS_LEVELS = ("public", "researchers", "staff")
STATUSES = ("draft", "published", "withdrawn")
ROLES = ("admin", "archivist", "researcher")
CREDIT_ROLES = ("narrator", "interviewer", "poet", "performer", "composer", "translator")
JOB_STATES = ("queued", "probing", "transcoding", "done", "failed")
IDENTIFIER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def is_identifier(value: str) -> bool:
    """Whether ``value`` is an accession number as archivists assign them (PMA-0001)."""
    return IDENTIFIER_RE.fullmatch(value) is not None


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20), default="researcher")
    approved: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What a researcher told us when registering, and who approved them.
    affiliation: Mapped[str] = mapped_column(Text, default="")
    purpose: Mapped[str] = mapped_column(Text, default="")
    approved_at: Mapped[datetime | None] = mapped_column(default=None)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    # Every session and remember-me cookie carries the value it was made with (``get_id``);
    # raising it ends them all at once, on every worker and host (archive.accounts.users).
    session_version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    # The language the archive writes to them in (ar, en, fr): the one they registered in.
    language: Mapped[str] = mapped_column(String(5), default="ar", server_default="ar")

    def get_id(self) -> str:  # what flask-login keeps in the session and remember-me cookie
        return f"{self.id}:{self.session_version}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role in ("admin", "archivist")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class Item(db.Model):
    """One catalogued work: a testimony, poem, song, interview, lecture or event."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    identifier: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(20), default="testimony")
    title: Mapped[str] = mapped_column(Text, default="")
    title_en: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    languages: Mapped[str] = mapped_column(String(100), default="ar")  # "ar|en"
    date: Mapped[str] = mapped_column(
        String(40), default=""
    )  # as written: 1988, 1988-04, circa 1990
    place: Mapped[str] = mapped_column(Text, default="")  # where it was recorded
    rights: Mapped[str] = mapped_column(String(40), default="")  # a code of archive.access.rights
    download: Mapped[bool] = mapped_column(default=False)  # may the public download it
    notes: Mapped[str] = mapped_column(Text, default="")
    access: Mapped[str] = mapped_column(String(20), default="staff")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    embargo_until: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    # The narrator's release (consent): the signed form, its date, what it allows.
    release_reference: Mapped[str] = mapped_column(Text, default="")  # e.g. "Form 2024/017"
    release_date: Mapped[str] = mapped_column(String(40), default="")  # as written, like date
    release_access: Mapped[str] = mapped_column(
        String(20), default=""
    )  # most open level allowed: public | researchers | staff; "" = no release recorded
    release_restriction: Mapped[str] = mapped_column(Text, default="")  # what the narrator asked
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")
    # Raised by every change of the item: each "index this item" row written for it, and its
    # access copies appearing or going (``_item_changed``). OAI-PMH dates records by it.
    revision: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    recordings: Mapped[list[Recording]] = relationship(
        back_populates="item", order_by="Recording.position", cascade="all, delete-orphan"
    )
    credits: Mapped[list[Credit]] = relationship(
        back_populates="item", order_by="Credit.position", cascade="all, delete-orphan"
    )
    tags: Mapped[list[Tag]] = relationship(
        secondary="item_tags", order_by=lambda: by_code_point(Tag.label)
    )
    collections: Mapped[list[Collection]] = relationship(
        secondary="item_collections", order_by=lambda: by_code_point(Collection.title)
    )
    prisons: Mapped[list[Place]] = relationship(
        secondary="item_places", order_by=lambda: by_code_point(Place.name)
    )
    transcripts: Mapped[list[Transcript]] = relationship(
        back_populates="item", order_by="Transcript.id", cascade="all, delete-orphan"
    )

    @property
    def language_list(self) -> list[str]:
        return [code for code in self.languages.split("|") if code]

    def people_in(self, role: str) -> list[Person]:
        return [credit.person for credit in self.credits if credit.role == role]

    @property
    def current_recordings(self) -> list[Recording]:
        return [r for r in self.recordings if r.superseded_at is None]

    @property
    def display_title(self) -> str:
        return self.title or self.title_en or self.identifier


item_tags = Table(
    "item_tags",
    db.metadata,
    Column("item_id", ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)
item_collections = Table(
    "item_collections",
    db.metadata,
    Column("item_id", ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("collection_id", ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True),
)
item_places = Table(
    "item_places",
    db.metadata,
    Column("item_id", ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("place_id", ForeignKey("places.id", ondelete="CASCADE"), primary_key=True),
)


class Person(db.Model):
    """An authority record: one person, however their name is spelled."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)  # primary name, Arabic script
    name_latin: Mapped[str] = mapped_column(Text, default="")
    kunya: Mapped[str] = mapped_column(Text, default="")  # kunya or nickname
    birth_year: Mapped[int | None] = mapped_column(default=None)
    bio: Mapped[str] = mapped_column(Text, default="")
    bio_en: Mapped[str] = mapped_column(Text, default="")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    variants: Mapped[list[PersonName]] = relationship(
        back_populates="person", order_by="PersonName.id", cascade="all, delete-orphan"
    )
    credits: Mapped[list[Credit]] = relationship(back_populates="person")

    @property
    def all_names(self) -> list[str]:
        names = [self.name, self.name_latin, self.kunya, *(v.name for v in self.variants)]
        return [n for n in names if n]


class PersonName(db.Model):
    """A variant spelling of a person's name (رأفت حمدونة / Raafat Hamdouna)."""

    __tablename__ = "person_names"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(Text)

    person: Mapped[Person] = relationship(back_populates="variants")


class Credit(db.Model):
    """A person's part in an item: narrator, interviewer, poet, performer, composer, translator."""

    __tablename__ = "credits"
    __table_args__ = (UniqueConstraint("item_id", "person_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(default=0)

    item: Mapped[Item] = relationship(back_populates="credits")
    person: Mapped[Person] = relationship(back_populates="credits")


class Tag(db.Model):
    """A term of the controlled vocabulary, labelled in Arabic, English and French; with its
    synonyms it is a concept of the search's thesaurus (``indexer.thesaurus``)."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(Text, unique=True)
    label_en: Mapped[str] = mapped_column(Text, default="")
    label_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: Other ways of saying it, in any language, one per line.
    synonyms: Mapped[str] = mapped_column(Text, default="", server_default="")

    @property
    def synonym_list(self) -> list[str]:
        return [line.strip() for line in self.synonyms.splitlines() if line.strip()]


class Collection(db.Model):
    """A series grouping items; an item may belong to several."""

    __tablename__ = "collections"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text, unique=True)
    title_en: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")


class Place(db.Model):
    """A prison or place that items speak of."""

    __tablename__ = "places"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    name_en: Mapped[str] = mapped_column(Text, default="")


class Transcript(db.Model):
    """What was said in one recording, in one language, as timed or untimed segments."""

    __tablename__ = "transcripts"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    recording_id: Mapped[int | None] = mapped_column(
        ForeignKey("recordings.id", ondelete="SET NULL"), default=None
    )
    language: Mapped[str] = mapped_column(String(20), default="ar")
    restricted: Mapped[bool] = mapped_column(default=False)  # staff only
    source_format: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    item: Mapped[Item] = relationship(back_populates="transcripts")
    recording: Mapped[Recording | None] = relationship()
    segments: Mapped[list[Segment]] = relationship(
        back_populates="transcript", order_by="Segment.position", cascade="all, delete-orphan"
    )


class Segment(db.Model):
    """One passage of a transcript; start and end in seconds, or None when untimed."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    transcript_id: Mapped[int] = mapped_column(
        ForeignKey("transcripts.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    start: Mapped[float | None] = mapped_column(default=None)
    end: Mapped[float | None] = mapped_column(default=None)
    text: Mapped[str] = mapped_column(Text, default="")
    speaker: Mapped[str] = mapped_column(Text, default="")
    restricted: Mapped[bool] = mapped_column(default=False)  # "this passage is not published"

    transcript: Mapped[Transcript] = relationship(back_populates="segments")


class Recording(db.Model):
    """One audio or video recording of an item: its original and its access copies."""

    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(10))  # audio | video
    original_filename: Mapped[str] = mapped_column(Text, default="")
    format_name: Mapped[str] = mapped_column(String(100), default="")
    duration: Mapped[float | None] = mapped_column(default=None)
    bit_rate: Mapped[int | None] = mapped_column(BigInteger, default=None)
    audio_codec: Mapped[str | None] = mapped_column(String(50), default=None)
    sample_rate: Mapped[int | None] = mapped_column(default=None)
    channels: Mapped[int | None] = mapped_column(default=None)
    video_codec: Mapped[str | None] = mapped_column(String(50), default=None)
    width: Mapped[int | None] = mapped_column(default=None)
    height: Mapped[int | None] = mapped_column(default=None)
    technical: Mapped[dict] = mapped_column(JSON, default=dict)
    superseded_at: Mapped[datetime | None] = mapped_column(default=None)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("recordings.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)

    item: Mapped[Item] = relationship(back_populates="recordings")
    files: Mapped[list[MediaFile]] = relationship(
        back_populates="recording", cascade="all, delete-orphan"
    )
    jobs: Mapped[list[Job]] = relationship(
        back_populates="recording", order_by="Job.id", cascade="all, delete-orphan"
    )

    def file(self, role: str) -> MediaFile | None:
        return next((f for f in self.files if f.role == role), None)

    @property
    def original(self) -> MediaFile | None:
        return self.file("original")

    @property
    def latest_job(self) -> Job | None:
        return self.jobs[-1] if self.jobs else None

    @property
    def ready(self) -> bool:
        return self.file("access") is not None


class MediaFile(db.Model):
    """A stored file: the untouched original, an access copy, a poster or waveform peaks."""

    __tablename__ = "media_files"
    __table_args__ = (
        UniqueConstraint("recording_id", "role"),
        # The same bytes are kept once: a second upload of them is refused.
        Index(
            "uq_media_files_original_sha256",
            "sha256",
            unique=True,
            sqlite_where=text("role = 'original'"),
            postgresql_where=text("role = 'original'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(
        ForeignKey("recordings.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))  # original | access | poster | peaks
    relpath: Mapped[str] = mapped_column(Text)  # relative to the media root
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mimetype: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    recording: Mapped[Recording] = relationship(back_populates="files")


class Job(db.Model):
    """A background job on a recording, with the progress the pages show live."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(
        ForeignKey("recordings.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20), default="transcode")
    state: Mapped[str] = mapped_column(String(20), default="queued")
    progress: Mapped[float] = mapped_column(default=0.0)
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)

    recording: Mapped[Recording] = relationship(back_populates="jobs")

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "recording": self.recording_id,
            "item": self.recording.item.identifier,
            "state": self.state,
            "progress": round(self.progress, 3),
            "error": self.error,
            "attempts": self.attempts,
        }


class Mail(db.Model):
    """A message to one person, kept in the mail outbox until the SMTP server takes it
    (``archive.mail``): written in the transaction of the change it tells of, so it exists only
    if that change committed, and retried while the server is away."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # registration-approved, jobs-failed, ...
    recipient: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(5), default="ar")
    subject: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="pending")  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    give_up_at: Mapped[datetime] = mapped_column(default=utcnow)  # then it is "failed"
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class AuditEvent(db.Model):
    """Who changed what, and when."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    action: Mapped[str] = mapped_column(String(50))
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="SET NULL"), default=None, index=True
    )
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    user: Mapped[User | None] = relationship()


class AccessRequest(db.Model):
    """A researcher asks to hear one item, saying why; an admin grants (until a date) or refuses."""

    __tablename__ = "access_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The identifier as the researcher typed it: kept whether or not such an item exists, so a
    # request never tells them which identifiers exist (the admin sees the item, if any).
    identifier: Mapped[str] = mapped_column(String(64), default="")
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="SET NULL"), default=None, index=True
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20), default="pending")  # or granted|refused|revoked
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)  # end of a grant
    note: Mapped[str] = mapped_column(Text, default="")  # the admin's answer

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    item: Mapped[Item | None] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class LoginAttempt(db.Model):
    """A login attempt, counted in the database so the limit holds across processes."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    success: Mapped[bool] = mapped_column(default=False)


class LoginCounter(db.Model):
    """The failed logins of one account or address in the current window, and those being
    checked now: raised and read in one statement, so parallel attempts cannot all pass."""

    __tablename__ = "login_counters"

    key: Mapped[str] = mapped_column(String(330), primary_key=True)  # account:… or address:…
    count: Mapped[int] = mapped_column(default=0)
    started: Mapped[datetime] = mapped_column(default=utcnow)  # when the window began


class FixityCheck(db.Model):
    """One re-verification of a stored original against its recorded SHA-256."""

    __tablename__ = "fixity_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    media_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("media_files.id", ondelete="SET NULL"), default=None, index=True
    )
    relpath: Mapped[str] = mapped_column(Text)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    outcome: Mapped[str] = mapped_column(String(20))  # ok | mismatch | missing
    expected: Mapped[str] = mapped_column(String(64))
    actual: Mapped[str] = mapped_column(String(64), default="")


class IndexOutbox(db.Model):
    """'Index this item' rows, written in the same transaction as the change."""

    __tablename__ = "index_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(db.Model):
    """A personal API token: its owner, name and scope; only the SHA-256 of its secret is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))  # the secret's first characters, to tell it
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256 of the secret
    scope: Mapped[str] = mapped_column(String(20), default="read")  # read | read-write
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    user: Mapped[User] = relationship()

    @property
    def writes(self) -> bool:
        return self.scope == "read-write"


class HarvestRecord(db.Model):
    """What OAI-PMH harvesters were told of one item: its record's datestamp, whether it is
    deleted, and the sets it was in when last visible (``archive.exchange.harvest``).

    A row exists only for an item that has been public at least once, and outlives the item.
    """

    __tablename__ = "harvest_records"
    __table_args__ = (Index("ix_harvest_records_datestamp_identifier", "datestamp", "identifier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    identifier: Mapped[str] = mapped_column(String(64), unique=True)  # the item's accession number
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="SET NULL"), default=None, index=True
    )
    datestamp: Mapped[datetime] = mapped_column()  # UTC, whole seconds
    deleted: Mapped[bool] = mapped_column(default=False)
    revision: Mapped[int] = mapped_column(default=0)  # the item's revision last seen
    sets: Mapped[list] = mapped_column(JSON, default=list)  # setSpecs when last visible


# --- the item's revision ---------------------------------------------------------------------
# Every change of an item writes an outbox row in its transaction (archive.audit.record,
# authority._reindex, withdrawal.delete): one event on that row raises the revision, in the
# same flush, so no operation has to remember to. An access copy appearing or going changes
# what is offered (the record's format) without an outbox row (a transcode is not reindexed).

_items = Item.__table__
_ACCESS_ROLES = ("access", "public")


@event.listens_for(IndexOutbox, "after_insert")
def _item_changed(_mapper, connection, outbox: IndexOutbox) -> None:
    connection.execute(
        update(_items).where(_items.c.id == outbox.item_id).values(revision=_items.c.revision + 1)
    )


@event.listens_for(MediaFile, "after_insert")
@event.listens_for(MediaFile, "after_delete")
def _access_copy_changed(_mapper, connection, stored: MediaFile) -> None:
    if stored.role not in _ACCESS_ROLES:
        return
    owner = select(Recording.item_id).where(Recording.id == stored.recording_id).scalar_subquery()
    connection.execute(
        update(_items).where(_items.c.id == owner).values(revision=_items.c.revision + 1)
    )
