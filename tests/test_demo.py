"""The demo collection: loads offline, covers every item type, keeps its closed items closed."""

from sqlalchemy import select

from archive.db import db
from archive.exchange.demo import load_demo
from archive.exchange.demo_items import DEMO, LIBRARY
from archive.models import ITEM_TYPES, Item, Person, Tag


def test_demo_loads_every_type_and_keeps_closed_items_closed(app, client):
    with app.app_context():
        assert load_demo(echo=lambda _: None) == len(DEMO) >= 12
        demo = db.session.scalars(select(Item).where(Item.identifier.like("DEMO-%"))).all()
        assert len(demo) >= 12
        assert {item.type for item in demo} == set(ITEM_TYPES)
        assert all(item.status == "published" for item in demo)
        poem = next(item for item in demo if item.identifier == "DEMO-001")
        assert all("\t" in s.text for s in poem.transcripts[0].segments)  # marked verses
        visit = next(item for item in demo if item.identifier == "DEMO-011")
        assert sorted(t.language for t in visit.transcripts) == ["ar", "en"]
        long = next(item for item in demo if item.identifier == "DEMO-004")
        assert long.transcripts[0].segments[-1].end > 90  # minutes of timed speech
        latin = db.session.scalar(
            select(Person.name_latin).where(Person.name == "أبو فراس الحمداني")
        )
        assert latin == "Abu Firas al-Hamdani"
        assert (
            db.session.scalar(select(Tag.label_en).where(Tag.label == "الزيارة")) == "Family visits"
        )
        in_library = [i for i in demo if LIBRARY in {c.title for c in i.collections}]
        assert {i.type for i in in_library} == {"poem", "song"} and len(in_library) >= 4
        # Idempotent: nothing made twice, no error.
        assert load_demo(echo=lambda _: None) == 0
        assert db.session.scalar(select(db.func.count(Item.id))) == len(demo)

    for closed in ("DEMO-012", "DEMO-013"):
        assert client.get(f"/items/{closed}").status_code == 404
    assert client.get("/items/DEMO-001").status_code == 200
    found = client.get("/api/search", query_string={"q": "الخيام"}).get_json()
    assert "DEMO-004" in {r["identifier"] for r in found["results"]}
    for word in ("العزل", "التحقيق"):  # the closed items' own words
        found = client.get("/api/search", query_string={"q": word}).get_json()
        assert not {"DEMO-012", "DEMO-013"} & {r["identifier"] for r in found["results"]}
    assert "DEMO-012" not in client.get("/items/DEMO-004").get_data(as_text=True)
