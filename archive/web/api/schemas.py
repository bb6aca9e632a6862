"""The shapes of the API: what it accepts and what it answers, as pydantic models.

The views are validated with them (requests on the way in, responses on the way out) and
the OpenAPI 3.1 document is generated from them (``archive.web.api.openapi``), so the
document cannot say one thing while the API does another. Pydantic writes JSON Schema
2020-12, the dialect of OpenAPI 3.1, so nothing is translated on the way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from archive.models import IDENTIFIER_RE
from archive.web.edge import LARGEST

ItemType = Literal["testimony", "poem", "song", "interview", "lecture", "event"]
Access = Literal["public", "researchers", "staff"]
Status = Literal["draft", "published", "withdrawn"]
Role = Literal["narrator", "interviewer", "poet", "performer", "composer", "translator"]
RecordId = Annotated[int, Field(ge=1, le=LARGEST)]
Identifier = Annotated[str, Field(pattern=f"^{IDENTIFIER_RE.pattern}$")]
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")]
Text = Annotated[str, Field(max_length=100_000)]
Line = Annotated[str, Field(max_length=2_000)]
Names = Annotated[list[Annotated[str, Field(max_length=500)]], Field(max_length=200)]


class Strict(BaseModel):
    """Unknown fields are refused (a misspelt field must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid")


# --- problems ---------------------------------------------------------------------------------


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """An error, as RFC 9457 ``application/problem+json``."""

    type: str = Field("about:blank", description="about:blank: the status says what it is")
    title: str = Field(description="The name of the HTTP status")
    status: int
    detail: str = Field(description="What went wrong, in words")
    instance: str = Field(description="The path that was asked for")
    errors: list[FieldError] | None = Field(None, description="422: each invalid field")
    item: str | None = Field(None, description="409: the item already holding these bytes")


# --- headers ----------------------------------------------------------------------------------


class ReadHeaders(BaseModel):
    if_none_match: str | None = Field(
        None, alias="If-None-Match", max_length=1000,
        description="The ETag you hold: 304 Not Modified when it is still current",
    )  # fmt: skip


class WriteHeaders(BaseModel):
    if_match: str | None = Field(
        None, alias="If-Match", max_length=1000,
        description="Required: the item's current ETag (428 without it, 412 when stale)",
    )  # fmt: skip


# --- items: reading ---------------------------------------------------------------------------


class ItemQuery(BaseModel):
    type: ItemType | None = None
    decade: int | None = Field(None, ge=0, le=9990, multiple_of=10, description="e.g. 1980")
    person: RecordId | None = Field(None, description="Items a person is in, in any role")
    narrator: RecordId | None = Field(None, description="Items a person narrates")
    tag: RecordId | None = None
    collection: RecordId | None = None
    place: RecordId | None = Field(None, description="A prison or place the items speak of")
    language: LanguageCode | None = None
    access: Access | None = Field(None, description="Staff only")
    status: Status | None = Field(None, description="Staff only")
    updated_since: datetime | None = Field(
        None, description="ISO 8601; items changed at or after it (without a zone: UTC)"
    )
    limit: int = Field(50, ge=1, le=100, description="Items per page")
    cursor: str | None = Field(
        None, max_length=500, description="From the previous page's next_cursor"
    )


class ItemLinks(BaseModel):
    self: str
    page: str


class ItemSummary(Strict):
    identifier: str
    type: str
    title: str
    title_en: str
    date: str
    languages: list[str]
    access: str
    status: str
    updated_at: str
    links: ItemLinks


class PageLinks(BaseModel):
    next: str | None


class ItemList(Strict):
    items: list[ItemSummary]
    next_cursor: str | None = Field(description="null on the last page")
    listed_at: str = Field(description="When this page was made: your next updated_since")
    links: PageLinks


class Rights(Strict):
    code: str
    uri: str
    label: str


class RecordLinks(Strict):
    api_url: str
    url: str


class PersonRef(Strict):
    id: int
    name: str
    name_latin: str
    api_url: str
    url: str


class TagRef(Strict):
    id: int
    label: str
    label_en: str
    api_url: str
    url: str


class CollectionRef(Strict):
    id: int
    title: str
    title_en: str
    api_url: str
    url: str


class PlaceRef(Strict):
    id: int
    name: str
    name_en: str
    api_url: str
    url: str


class StoredFile(Strict):
    url: str
    mimetype: str
    size: int
    sha256: str


class JobState(Strict):
    id: int
    state: str
    error: str


class RecordingStaff(Strict):
    original_filename: str
    original: StoredFile | None
    superseded_at: str | None
    job: JobState | None


class Recording(Strict):
    id: int
    kind: str
    duration: float | None
    format_name: str
    bit_rate: int | None
    audio_codec: str | None
    sample_rate: int | None
    channels: int | None
    video_codec: str | None
    width: int | None
    height: int | None
    ready: bool = Field(description="Whether an access copy may be played now")
    files: dict[str, StoredFile] = Field(description="access, poster, peaks: those made")
    staff: RecordingStaff | None = None


class Segment(Strict):
    start: float | None
    end: float | None
    text: str
    speaker: str
    restricted: bool | None = Field(None, description="Staff only: a withheld passage")


class Transcript(Strict):
    id: int
    language: str
    recording_id: int | None
    segments: list[Segment]
    links: dict[str, str]
    restricted: bool | None = Field(None, description="Staff only")
    source_format: str | None = Field(None, description="Staff only")


class Release(Strict):
    reference: str
    date: str
    access: str | None
    restriction: str


class ItemStaff(Strict):
    notes: str
    embargo_until: str | None
    release: Release
    withdrawn_at: str | None
    withdrawn_reason: str
    created_at: str | None


class DocumentLinks(Strict):
    self: str
    page: str
    embed: str


class ItemDocument(Strict):
    """An item as the caller may see it (also what a preservation package stores)."""

    identifier: str
    type: str
    title: str
    title_en: str
    description: str
    description_en: str
    date: str
    place: str
    languages: list[str]
    access: str
    status: str
    download: bool
    rights: Rights | None
    people: dict[str, list[PersonRef]]
    tags: list[TagRef]
    collections: list[CollectionRef]
    places: list[PlaceRef]
    recordings: list[Recording]
    transcripts: list[Transcript]
    published_at: str | None
    updated_at: str
    links: DocumentLinks
    staff: ItemStaff | None = None


# --- items: writing ---------------------------------------------------------------------------


class ItemChanges(Strict):
    """The fields to change; those left out stay as they are. Lists replace the whole list;
    people, tags, collections and places are named (found by any of their names, or made)."""

    type: ItemType | None = None
    title: Line | None = None
    title_en: Line | None = None
    description: Text | None = None
    description_en: Text | None = None
    languages: list[LanguageCode] | None = Field(None, max_length=20)
    date: Annotated[str, Field(max_length=40)] | None = Field(
        None, description="YYYY, YYYY-MM, YYYY-MM-DD or 'circa YYYY'; empty to clear"
    )
    place: Line | None = None
    access: Access | None = None
    rights: Annotated[str, Field(max_length=40)] | None = Field(
        None, description="A rights code (e.g. InC, CC-BY-4.0); empty for none"
    )
    download: bool | None = None
    notes: Text | None = None
    embargo_until: Annotated[str, Field(max_length=10)] | None = Field(
        None, description="YYYY-MM-DD; empty or null to lift it"
    )
    release_reference: Line | None = None
    release_date: Annotated[str, Field(max_length=40)] | None = None
    release_access: Literal["", "public", "researchers", "staff"] | None = None
    release_restriction: Text | None = None
    people: dict[Role, Names] | None = Field(None, description="Names by role")
    tags: Names | None = None
    collections: Names | None = None
    places: Names | None = Field(None, description="Prisons and places the item speaks of")


class ItemCreate(ItemChanges):
    """A new draft item, without a recording yet (a recording: POST /api/v1/recordings)."""

    identifier: Identifier | None = Field(None, description="Generated when left out")
    type: ItemType = "testimony"


class TranscriptAttach(Strict):
    language: LanguageCode
    format: Literal["vtt", "srt", "txt", "ohms"]
    content: Annotated[str, Field(min_length=1, max_length=1_000_000)]
    recording_id: RecordId | None = Field(
        None, description="Its recording (times are relative to it); default: the first"
    )


class UploadQuery(BaseModel):
    filename: Annotated[str, Field(min_length=1, max_length=255)]
    identifier: Identifier | None = None
    title: Line | None = None
    type: ItemType | None = None


class RecordingUploadQuery(BaseModel):
    filename: Annotated[str, Field(min_length=1, max_length=255)]


class Job(Strict):
    id: int
    recording: int
    item: str
    state: str
    progress: float
    error: str
    attempts: int


class JobLinks(Strict):
    item: str
    job: str


class Ingested(Strict):
    item: str = Field(description="The item's identifier")
    recording_id: int
    job: Job
    links: JobLinks


# --- people, tags, collections, places -------------------------------------------------------


class ListQuery(BaseModel):
    limit: int = Field(50, ge=1, le=100)
    cursor: str | None = Field(None, max_length=500)


class SubjectLinks(Strict):
    self: str
    page: str
    items: str = Field(description="The items linked to it, through /api/v1/items")


class Person(Strict):
    id: int
    name: str
    name_latin: str
    kunya: str
    variants: list[str]
    birth_year: int | None
    bio: str
    bio_en: str
    item_count: int
    links: SubjectLinks


class Tag(Strict):
    id: int
    label: str
    label_en: str
    item_count: int
    links: SubjectLinks


class Collection(Strict):
    id: int
    title: str
    title_en: str
    description: str
    description_en: str
    item_count: int
    links: SubjectLinks


class Place(Strict):
    id: int
    name: str
    name_en: str
    item_count: int
    links: SubjectLinks


class PersonList(Strict):
    people: list[Person]
    next_cursor: str | None
    links: PageLinks


class TagList(Strict):
    tags: list[Tag]
    next_cursor: str | None
    links: PageLinks


class CollectionList(Strict):
    collections: list[Collection]
    next_cursor: str | None
    links: PageLinks


class PlaceList(Strict):
    places: list[Place]
    next_cursor: str | None
    links: PageLinks


# --- search -----------------------------------------------------------------------------------


class SearchQuery(BaseModel):
    q: Annotated[str, Field(max_length=1000)] = ""
    page: int = Field(1, ge=1, le=1_000_000)
    per_page: int = Field(20, ge=1, le=100)
    sort: Literal["relevance", "date", "-date"] = "relevance"
    type: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list)
    narrator: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list)
    tag: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list)
    collection: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list)
    language: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list)
    decade: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list)
    place: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list)


class Hit(Strict):
    start: float | None
    end: float | None
    text: str


class SearchResult(Strict):
    identifier: str
    title: str
    type: str
    score: float
    url: str
    hits: list[Hit]


class FacetEntry(BaseModel):
    value: str
    label: str
    count: int


class AlsoSearched(Strict):
    """Query words and the other forms they were also searched as (see indexer.expansion)."""

    words: str
    forms: list[str]


class SearchAnswer(Strict):
    """The shape of ``GET /api/search`` (DESIGN.md), through the API's access rules."""

    query: str
    total: int
    page: int
    per_page: int
    suggestion: str | None
    results: list[SearchResult]
    facets: dict[str, list[FacetEntry]]
    partial: bool
    also_searched: list[AlsoSearched] = []
