"""A client's mentions page: newest first with their label and who gave it, filtered by label, correcting a label
with a plain form or with htmx, and what client viewers and other agencies may not do."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from api.sentiment import default_analyzer
from tenants.models import AuditEntry
from tests.api.conftest import count_rows, create_client, list_all
from tests.conftest import Agency, TestDatabase, sign_up
from tests.portal.conftest import add_member, csrf_token, form_post, sign_in

SARCASM, PRAISE, CODE = "Oh great, late again.", "I love it, amazing!", "<script>alert('x')</script> meh"
ROWS = [
    {"source": "reviews", "external_id": "r-1", "published_at": "2026-11-02T09:30:00Z", "text": SARCASM},
    {
        "source": "mastodon",
        "external_id": "r-2",
        "published_at": "2026-11-03T09:30:00Z",
        "text": PRAISE,
        "author": "@lea@social.example",
    },
    {"source": "reviews", "external_id": "r-3", "published_at": "2026-11-01T09:30:00Z", "text": CODE},
]


def client_with_mentions(client: TestClient[Litestar], agency: Agency, name: str = "Maison Durand") -> str:
    """A new client of the agency with ROWS imported through the API (analysed by the default analyser)."""
    made = create_client(client, agency, name=name)
    response = client.post(f"/v1/clients/{made['id']}/mentions", json=ROWS, headers=agency.headers)
    assert response.status_code == 200, response.text
    return str(made["id"])


def mentions_of(client: TestClient[Litestar], agency: Agency, client_id: str) -> dict[str, Any]:
    """The client's mentions as the API lists them, by external id."""
    return {m["external_id"]: m for m in list_all(client, agency, f"/v1/clients/{client_id}/mentions")}


def path(client_id: str) -> str:
    return f"/portal/clients/{client_id}/mentions"


def test_the_list_shows_the_newest_mentions_first_with_label_and_provenance(
    client: TestClient[Litestar], agency: Agency
) -> None:
    client_id = client_with_mentions(client, agency)
    stored = mentions_of(client, agency, client_id)
    sign_in(client, add_member(client, agency.tenant_id, role="analyst"))

    assert f'href="{path(client_id)}"' in client.get("/portal/").text
    assert f'href="{path(client_id)}?from=' in client.get(f"/portal/clients/{client_id}").text
    listing = client.get(path(client_id))
    assert listing.status_code == 200
    text = listing.text
    assert "<h1>Mentions · Maison Durand</h1>" in text
    rows = [text.index(f'id="mention-{stored[key]["id"]}"') for key in ("r-2", "r-1", "r-3")]
    assert rows == sorted(rows)  # newest first
    assert "I love it, amazing!" in text
    assert "@lea@social.example" in text
    assert "mastodon" in text
    assert "Nov 3, 2026" in text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; meh" in text  # escaped, never run
    assert "<script>alert" not in text
    analyser = default_analyzer()
    assert f"{analyser.name} {analyser.version}" in text
    assert "Corrected by a person" not in text
    sarcasm = text[text.index(f'id="mention-{stored["r-1"]["id"]}"') :].split("</tr>")[0]
    assert '<option value="positive" selected>Positive</option>' in sarcasm  # the analyser missed the sarcasm
    assert f'action="{path(client_id)}/{stored["r-1"]["id"]}/sentiment"' in sarcasm


def test_the_label_filter_shows_only_those_mentions(client: TestClient[Litestar], agency: Agency) -> None:
    client_id = client_with_mentions(client, agency)
    stored = mentions_of(client, agency, client_id)
    sign_in(client, add_member(client, agency.tenant_id, role="analyst"))
    by_label: dict[str, set[str]] = {}
    for mention in stored.values():
        by_label.setdefault(mention["sentiment_label"], set()).add(mention["id"])
    assert by_label.get("positive")  # the analyser labels PRAISE and SARCASM positive

    for label in ("positive", "neutral", "negative"):
        listing = client.get(path(client_id), params={"label": label})
        assert listing.status_code == 200
        shown = {m["id"] for m in stored.values() if f'id="mention-{m["id"]}"' in listing.text}
        assert shown == by_label.get(label, set()), label
        assert f'<option value="{label}" selected>' in listing.text
    everything = client.get(path(client_id), params={"label": "all"}).text
    assert all(f'id="mention-{m["id"]}"' in everything for m in stored.values())
    dated = client.get(path(client_id), params={"from": "2026-11-03", "to": "2026-11-03"}).text
    assert {m["external_id"] for m in stored.values() if f'id="mention-{m["id"]}"' in dated} == {"r-2"}
    unknown = client.get(path(client_id), params={"label": "furious"})
    assert unknown.status_code == 422
    assert "<h1>Unknown label</h1>" in unknown.text
    assert "Choose positive, neutral or negative." in unknown.text
    assert "Traceback" not in unknown.text


def test_correcting_with_the_form_stores_a_persons_label_and_audits_it(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    client_id = client_with_mentions(client, agency)
    sarcasm = mentions_of(client, agency, client_id)["r-1"]
    sign_in(client, add_member(client, agency.tenant_id, role="analyst", email="ana@alpha.example"))

    done = form_post(
        client,
        f"{path(client_id)}/{sarcasm['id']}/sentiment",
        {"label": "negative", "shown": "positive"},
        page=path(client_id),
    )

    assert done.status_code == 303
    assert done.headers["location"] == f"{path(client_id)}?label=positive"  # back to the list it was sent from
    api = mentions_of(client, agency, client_id)["r-1"]
    assert (api["sentiment_label"], api["sentiment_score"]) == ("negative", -1.0)
    assert (api["sentiment_analyzer"], api["sentiment_version"]) == ("person", "1")
    assert count_rows(database, AuditEntry, action="mention.sentiment_corrected", actor="member:ana@alpha.example") == 1
    listing = client.get(path(client_id), params={"label": "negative"}).text
    assert f'id="mention-{sarcasm["id"]}"' in listing
    assert "Corrected by a person" in listing


def test_htmx_corrects_and_gets_only_the_row(client: TestClient[Litestar], agency: Agency) -> None:
    client_id = client_with_mentions(client, agency)
    praise = mentions_of(client, agency, client_id)["r-2"]
    sign_in(client, add_member(client, agency.tenant_id, role="admin"))
    token = csrf_token(client, path(client_id))

    response = client.post(
        f"{path(client_id)}/{praise['id']}/sentiment",
        data={"label": "neutral", "shown": "all"},
        headers={"HX-Request": "true", "x-csrftoken": token},
    )

    assert response.status_code == 200
    assert response.text.strip().startswith(f'<tr id="mention-{praise["id"]}">')
    assert "<html" not in response.text
    assert '<option value="neutral" selected>Neutral</option>' in response.text
    assert "Corrected by a person" in response.text
    assert mentions_of(client, agency, client_id)["r-2"]["sentiment_label"] == "neutral"


def test_a_client_viewer_sees_its_clients_mentions_without_a_form_and_cannot_correct(
    client: TestClient[Litestar], agency: Agency
) -> None:
    mine = client_with_mentions(client, agency)
    theirs = client_with_mentions(client, agency, name="Atelier Roux")
    sarcasm = mentions_of(client, agency, mine)["r-1"]
    other = mentions_of(client, agency, theirs)["r-1"]
    sign_in(client, add_member(client, agency.tenant_id, role="client_viewer", client_id=mine))

    listing = client.get(path(mine))
    assert listing.status_code == 200
    assert f'id="mention-{sarcasm["id"]}"' in listing.text
    assert '<form method="post" action="/portal/clients' not in listing.text
    assert "hx-post" not in listing.text
    assert "Positive" in listing.text  # the label, as text
    refused = form_post(client, f"{path(mine)}/{sarcasm['id']}/sentiment", {"label": "negative"}, page=path(mine))
    assert refused.status_code == 403  # as the API answers a read-only key
    assert "Your role does not allow this change" in refused.text
    assert mentions_of(client, agency, mine)["r-1"]["sentiment_label"] == "positive"

    assert client.get(path(theirs)).status_code == 404  # another client of the same agency
    assert "Atelier Roux" not in client.get(path(theirs)).text
    assert other["id"] not in listing.text


def test_another_agencys_client_and_mention_are_a_404(client: TestClient[Litestar], agency: Agency) -> None:
    other = sign_up(client, "Agency Beta")
    theirs = client_with_mentions(client, other, name="Beta Client")
    their_mention = mentions_of(client, other, theirs)["r-1"]
    mine = client_with_mentions(client, agency)
    sign_in(client, add_member(client, agency.tenant_id, role="owner"))

    page = client.get(path(theirs))
    assert page.status_code == 404
    assert "Beta Client" not in page.text
    for target in (f"{path(theirs)}/{their_mention['id']}", f"{path(mine)}/{their_mention['id']}"):
        response = form_post(client, f"{target}/sentiment", {"label": "negative"}, page=path(mine))
        assert response.status_code == 404, target
        assert "There is nothing here" in response.text
    assert mentions_of(client, other, theirs)["r-1"]["sentiment_label"] == "positive"


def test_a_bad_label_is_a_plain_sentence_and_stores_nothing(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    client_id = client_with_mentions(client, agency)
    sarcasm = mentions_of(client, agency, client_id)["r-1"]
    sign_in(client, add_member(client, agency.tenant_id, role="analyst"))

    for label in ("furious", ""):
        response = form_post(
            client, f"{path(client_id)}/{sarcasm['id']}/sentiment", {"label": label}, page=path(client_id)
        )
        assert response.status_code == 422
        assert "Choose positive, neutral or negative." in response.text
        assert "Traceback" not in response.text
    assert mentions_of(client, agency, client_id)["r-1"]["sentiment_label"] == "positive"
    assert count_rows(database, AuditEntry, action="mention.sentiment_corrected") == 0


def test_correcting_without_the_csrf_token_is_refused(client: TestClient[Litestar], agency: Agency) -> None:
    client_id = client_with_mentions(client, agency)
    sarcasm = mentions_of(client, agency, client_id)["r-1"]
    sign_in(client, add_member(client, agency.tenant_id, role="admin"))
    client.get(path(client_id))
    response = client.post(
        f"{path(client_id)}/{sarcasm['id']}/sentiment", data={"label": "negative"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert mentions_of(client, agency, client_id)["r-1"]["sentiment_label"] == "positive"


def test_the_mentions_page_in_french(client: TestClient[Litestar], agency: Agency) -> None:
    client_id = client_with_mentions(client, agency)
    sign_in(client, add_member(client, agency.tenant_id, role="analyst", locale="fr"))
    listing = client.get(path(client_id)).text
    assert "<h1>Mentions · Maison Durand</h1>" in listing
    assert "Étiquetée par" in listing
    assert "Corriger" in listing
    assert "3 nov. 2026" in listing
