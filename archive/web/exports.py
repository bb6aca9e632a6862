"""``/items/<identifier>/ohms.xml``: an item as an OHMS record, for the OHMS Viewer and partners.

Anonymous only, whoever asks: what a visitor who is not logged in may see, withheld passages
and restricted transcripts left out (``archive.exchange.ohms``). An item they may not see
answers as one that does not exist (404; 410 once withdrawn, as its page does). An item with
several recordings has one record each: ``?part=2`` is the second.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from archive.catalogue import items
from archive.exchange import ohms
from archive.web.edge import number_arg, site_url

bp = Blueprint("exports", __name__)

XML = "application/xml; charset=utf-8"


@bp.get("/items/<identifier>/ohms.xml")
def ohms_xml(identifier: str):
    found = items.get_item(identifier, None)  # the public view, even for staff
    records = ohms.item_records(found, site_url, public=True)
    number = number_arg("part", 1)
    if not 1 <= number <= len(records):
        abort(404)
    response = Response(ohms.to_ohms(records[number - 1]), content_type=XML)
    name = ohms.filename(found.identifier, number)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Access-Control-Allow-Origin"] = "*"  # public data, read by viewers elsewhere
    response.add_etag()
    return response.make_conditional(request)
