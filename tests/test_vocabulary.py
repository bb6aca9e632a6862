"""The archive's vocabulary as a thesaurus: tags in three languages with synonyms, people,
places and collections, edited on the Tags page and seen by the next search."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from archive.catalogue import authority
from archive.db import db
from archive.discovery import vocabulary
from archive.models import Tag


@pytest.fixture
def staff(client, auth):
    auth.login("archivist@example.org")
    return auth.csrf("/manage/")


def test_a_tag_gets_french_label_and_synonyms_on_the_tags_page(app, client, staff):
    answer = client.post(
        "/manage/tags",
        data={
            "label": "الإضراب عن الطعام",
            "label_en": "hunger strike",
            "label_fr": "grève de la faim",
            "synonyms": "معركة الأمعاء الخاوية\n\nempty-stomach battle\nمعركة الأمعاء الخاوية",
            "csrf_token": staff,
        },
    )
    assert answer.status_code == 302
    with app.app_context():
        tag = db.session.scalar(select(Tag).where(Tag.label == "الإضراب عن الطعام"))
        assert (tag.label_en, tag.label_fr) == ("hunger strike", "grève de la faim")
        assert tag.synonym_list == ["معركة الأمعاء الخاوية", "empty-stomach battle"]
        tag_id = tag.id
    page = client.get("/manage/tags").get_data(as_text=True)
    assert "grève de la faim" in page and "empty-stomach battle" in page

    # editing without the new fields (an older form, a script) leaves them as they were
    client.post(f"/manage/tags/{tag_id}", data={"label": "الإضراب عن الطعام",
                                                "label_en": "hunger-strike", "csrf_token": staff})  # fmt: skip
    with app.app_context():
        tag = db.session.get(Tag, tag_id)
        assert tag.label_en == "hunger-strike" and tag.label_fr == "grève de la faim"
        assert len(tag.synonym_list) == 2


def test_merging_tags_keeps_the_merged_labels_as_synonyms(app):
    with app.app_context():
        survivor = authority.tag_for("الأسرى الأطفال")
        other = authority.tag_for("أطفال أسرى")
        authority.update_tag(other, other.label, "child prisoners", label_fr="enfants détenus",
                             synonyms="القاصرون", user=None)  # fmt: skip
        db.session.commit()
        authority.merge_tags(survivor, other, user=None)
        db.session.commit()
        merged = authority.tag_labelled("الأسرى الأطفال")
        assert merged.label_en == "child prisoners" and merged.label_fr == "enfants détenus"
        assert merged.synonym_list == ["أطفال أسرى", "القاصرون"]


def test_the_thesaurus_knows_tags_people_places_and_follows_each_change(app):
    with app.app_context():
        tag = authority.tag_for("الاعتقال الإداري")
        authority.update_tag(tag, tag.label, "administrative detention",
                             label_fr="détention administrative", user=None)  # fmt: skip
        person = authority.person_for("مروان البرغوثي")
        person.name_latin = "Marwan Barghouti"
        db.session.commit()

        found = vocabulary.thesaurus().find(["administrative", "detention"])
        assert [e.also for e in found] == [("الاعتقال الإداري", "détention administrative")]
        found = vocabulary.thesaurus().find(["Marwan", "Barghouti"])
        assert found and "مروان البرغوثي" in found[0].also

        # an edit counts at the next search: the thesaurus is made again for the new version
        before = vocabulary.thesaurus()
        authority.update_tag(tag, tag.label, "administrative detention",
                             synonyms="اعتقال بلا تهمة", user=None)  # fmt: skip
        db.session.commit()
        after = vocabulary.thesaurus()
        assert after is not before
        found = after.find(["détention", "administrative"])
        assert "اعتقال بلا تهمة" in found[0].also
        assert vocabulary.thesaurus() is after  # and kept while nothing changes
        db.session.remove()
