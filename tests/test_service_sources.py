"""Sources in the message text of /v1/chat/completions, for the OpenAI clients that drop the
``socle`` object: links that open the quoted span, the AI notice, the closest passages of an
abstention, the request field and the assistant setting, streaming, token usage, and
document titles that try to inject Markdown or HTML."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.service_helpers import Env, auth, login, make_env, running_server

from socle.chunk import split_sentences
from socle.llm import Completion, Message, OnToken

QUESTION = "Combien de jours de télétravail par semaine pour un agent à temps complet ?"
OFF_TOPIC = "Quelle est la recette de la tarte tatin aux pommes caramélisées ?"
NOTICE = "*Réponse générée automatiquement par une IA à partir des documents cités ; vérifiez les sources."
SOURCES = "\n\n**Sources**\n"
CLOSEST = "\n\n**Passages les plus proches :**\n"
CITATION_ITEM = re.compile(r"^(\d+)\. \[(.+?)\]\((\S+)\)(?: — (.+))?$")
PASSAGE_ITEM = re.compile(r"^- \[(.+?)\]\((\S+)\)( — .+)?$")


@pytest.fixture
def client(env: Env) -> TestClient:
    return TestClient(env.app)


def openai_client(env: Env, client: TestClient | httpx.Client, base: str = "http://testserver") -> Any:
    from openai import OpenAI

    return OpenAI(base_url=f"{base}/v1", api_key=env.keys["alice"], http_client=client, max_retries=0)


def ask(ai: Any, question: str = QUESTION, model: str = "demo", **extra_body: Any) -> Any:
    return ai.chat.completions.create(
        model=model, messages=[{"role": "user", "content": question}], extra_body=extra_body or None
    )


def marked_text(page: str) -> str:
    """The highlighted span of a document page, as the reader sees it (one mark per block or
    table cell the span crosses, the first one where the link lands)."""
    assert '<mark id="citation" tabindex="-1">' in page
    marks = re.findall(r"<mark\b[^>]*>(.*?)</mark>", page, flags=re.DOTALL)
    return " ".join(html.unescape(" ".join(marks)).split())


def shown(text: str) -> str:
    """A stored text as the page shows it: table cells in cells, not joined by « | »."""
    return " ".join(text.replace(" | ", " ").split())


# -- the default: Markdown sources, links that open the quote, the AI notice --------------------
def test_content_lists_sources_whose_links_open_the_quote(env: Env) -> None:
    """Over real HTTP, with the official client: the links are absolute, on Socle's own
    address, and open the document page on the quoted span with the caller's key."""
    with running_server(env.app) as base, httpx.Client(base_url=base, timeout=30) as http:
        reply = ask(openai_client(env, http, base))
        content = reply.choices[0].message.content
        extra = reply.model_extra["socle"]
        assert SOURCES in content, content
        answer, sources = content.split(SOURCES)
        assert "[1]" in answer and not extra["abstained"]
        items, notice = sources.split("\n\n")
        assert notice == f"{NOTICE} Modèle : extractif (sans modèle génératif)*"
        lines = items.splitlines()
        assert len(lines) == len(extra["citations"]) >= 1
        for line, citation in zip(lines, extra["citations"], strict=True):
            number, title, url, details = CITATION_ITEM.match(line).groups()  # type: ignore[union-attr]
            assert int(number) == citation["number"] and title == citation["document_title"]
            assert details == expected_details(citation, answer)
            assert url.startswith(f"{base}/documents/demo?passage=") and url.endswith("#citation")
            assert "/work" not in url and "%2F" not in url  # no path of the server in a link
            page = http.get(url, headers=auth(env.keys["alice"]))
            assert page.status_code == 200
            assert marked_text(page.text) == shown(citation["quote"])
            # the link is the one the web page gives for the same citation
            assert url == base + web_link(citation)
            # and it opens nothing for someone who may not read the collection
            assert http.get(url, headers=auth(env.keys["eve"])).status_code in (403, 404)
    assert reply.usage.prompt_tokens == reply.usage.completion_tokens == reply.usage.total_tokens == 0


def expected_details(citation: dict[str, Any], answer: str) -> str:
    """Location, then the quote unless the answer already gives it word for word."""
    from socle.service.sources import escape_markdown, shorten

    quote = " ".join(citation["quote"].split())
    if quote in re.sub(r"\\(.)", r"\1", answer):  # the answer, unescaped
        return str(citation["location"])
    return f"{citation['location']}, « {escape_markdown(shorten(quote))} »"


def web_link(citation: dict[str, Any]) -> str:
    from socle.service.sources import document_link

    return document_link(
        citation["collection"], None, citation["start"], citation["end"], passage=citation["passage_id"]
    )


# -- choosing: the request, then the assistant, then Markdown ---------------------------------
def test_socle_sources_none_gives_the_bare_answer(env: Env, client: TestClient) -> None:
    ai = openai_client(env, client)
    bare = ask(ai, socle_sources="none")
    full = ask(ai)
    text = bare.choices[0].message.content
    assert "**Sources**" not in text and "Réponse générée" not in text and "[1]" in text
    # the same answer, escaped for Markdown, comes first in the default content
    assert re.sub(r"\\(.)", r"\1", full.choices[0].message.content.split(SOURCES)[0]) == " ".join(text.split())
    # the socle object is the same either way
    assert bare.model_extra["socle"].keys() == full.model_extra["socle"].keys()
    assert bare.model_extra["socle"]["citations"] == full.model_extra["socle"]["citations"]
    refused = client.post(
        "/v1/chat/completions",
        json={"model": "demo", "messages": [{"role": "user", "content": QUESTION}], "socle_sources": "html"},
        headers=auth(env.keys["alice"]),
    )
    assert refused.status_code == 422 and "socle_sources" in refused.json()["error"]["message"]


def test_an_assistant_setting_changes_the_default(env: Env, client: TestClient) -> None:
    from socle.store.records import Assistant

    env.service.store.put_assistant(
        Assistant(name="sobre", title="Sobre", collections=["demo"], settings={"sources": "none"})
    )
    ai = openai_client(env, client)
    assert "**Sources**" not in ask(ai, model="sobre").choices[0].message.content
    assert SOURCES in ask(ai, model="sobre", socle_sources="markdown").choices[0].message.content
    assert SOURCES in ask(ai, model="demo").choices[0].message.content  # the others keep the default


def test_the_web_page_gets_the_bare_answer(env: Env, client: TestClient) -> None:
    """Socle's own page shows the sources from the socle object: its session requests get
    the answer alone (and may still ask for Markdown)."""
    token = login(client, "alice")
    body: dict[str, Any] = {"model": "demo", "messages": [{"role": "user", "content": QUESTION}]}
    page = client.post("/v1/chat/completions", json=body, headers={"X-CSRF-Token": token}).json()
    assert "**Sources**" not in page["choices"][0]["message"]["content"] and page["socle"]["citations"]
    asked = client.post(
        "/v1/chat/completions", json=body | {"socle_sources": "markdown"}, headers={"X-CSRF-Token": token}
    ).json()
    assert SOURCES in asked["choices"][0]["message"]["content"]


# -- abstention ----------------------------------------------------------------------------------
def test_an_abstention_lists_the_closest_passages(env: Env, client: TestClient) -> None:
    from socle.answer import ABSTENTION_MESSAGE

    reply = ask(openai_client(env, client), OFF_TOPIC)
    extra = reply.model_extra["socle"]
    content = reply.choices[0].message.content
    assert extra["abstained"] and not extra["citations"]
    assert content.startswith(ABSTENTION_MESSAGE + CLOSEST)
    assert "Réponse générée" not in content and "**Sources**" not in content
    lines = content.split(CLOSEST)[1].splitlines()
    assert 1 <= len(lines) <= 3 and len(lines) == len(extra["closest_passages"])
    for line, passage in zip(lines, extra["closest_passages"], strict=True):
        title, url, where = PASSAGE_ITEM.match(line).groups()  # type: ignore[union-attr]
        assert title == passage["title"] and (where or "") == (
            f" — {passage['location']}" if passage["location"] else ""
        )
        page = client.get(url, headers=auth(env.keys["alice"]))
        assert page.status_code == 200
        assert marked_text(page.text) == shown(passage["text"])


# -- streaming -----------------------------------------------------------------------------------
def test_streaming_gives_the_same_text_with_the_sources_last(env: Env, client: TestClient) -> None:
    ai = openai_client(env, client)
    for question in (QUESTION, OFF_TOPIC):
        whole = ask(ai, question).choices[0].message.content
        chunks = list(
            ai.chat.completions.create(
                model="demo",
                messages=[{"role": "user", "content": question}],
                stream=True,
                stream_options={"include_usage": True},
            )
        )
        deltas = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
        assert "".join(deltas) == whole
        assert deltas[-1].startswith(SOURCES if question == QUESTION else CLOSEST)  # the block comes in one piece
        finish = [i for i, c in enumerate(chunks) if c.choices and c.choices[0].finish_reason == "stop"]
        last_content = max(i for i, c in enumerate(chunks) if c.choices and c.choices[0].delta.content)
        assert len(finish) == 1 and last_content < finish[0]
        # include_usage: one last chunk without choices carries the counts (no model: zeros)
        assert not chunks[-1].choices and chunks[-1].usage.total_tokens == 0
        assert all(c.usage is None for c in chunks[:-1])


# -- usage when a model writes -------------------------------------------------------------------
class EchoModel:
    """A model that restates the longest prose sentence of the first extract it is given."""

    name = "modele-echo"

    def chat(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 400,
        temperature: float = 0.1,
        on_token: OnToken | None = None,
    ) -> Completion:
        extract = messages[-1]["content"].split("<extrait", 1)[1].split(">", 1)[1].split("</extrait>")[0]
        prose = [extract[s:e].strip() for s, e in split_sentences(extract)]
        sentence = max((t for t in prose if t.endswith(".") and "|" not in t and "\n" not in t), key=len)
        if on_token:
            on_token(sentence)
        # Not word for word (lower-case start), so that the content also shows the quote.
        return Completion(f"{sentence[0].lower()}{sentence[1:]} [1]", 321, 42, self.name)


def test_a_generated_answer_gives_its_quotes_and_token_usage(tmp_path: Path, demo_store, embedder) -> None:  # type: ignore[no-untyped-def]
    from socle.service.sources import QUOTE_CHARS, escape_markdown, shorten

    env = make_env(tmp_path, demo_store, embedder, generator=EchoModel(), llm_backend="openai")
    client = TestClient(env.app)
    ai = openai_client(env, client)
    reply = ask(ai)
    extra = reply.model_extra["socle"]
    assert extra["mode"] == "generative" and extra["citations"]
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens, reply.usage.total_tokens) == (321, 42, 363)
    answer, sources = reply.choices[0].message.content.split(SOURCES)
    items, notice = sources.split("\n\n")
    assert "[1]" in answer
    assert notice == f"{NOTICE} Modèle : modele-echo*"
    for line, citation in zip(items.splitlines(), extra["citations"], strict=True):
        _, _, url, details = CITATION_ITEM.match(line).groups()  # type: ignore[union-attr]
        quote = shorten(citation["quote"])
        assert details == f"{citation['location']}, « {escape_markdown(quote)} »" and len(quote) <= QUOTE_CHARS
        assert details == expected_details(citation, answer)
        assert marked_text(client.get(url, headers=auth(env.keys["alice"])).text) == shown(citation["quote"])
    chunks = list(
        ai.chat.completions.create(
            model="demo",
            messages=[{"role": "user", "content": QUESTION}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert chunks[-1].usage.total_tokens == 363
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == reply.choices[0].message.content


# -- untrusted titles ----------------------------------------------------------------------------
TRAP_TITLE = (
    "Note [cliquez ici](https://evil.example/vol) <img src=x onerror=alert(1)> **urgent** &lt;b&gt; www.evil.example"
)


def test_markdown_and_html_in_a_document_title_are_escaped(env: Env, client: TestClient, tmp_path: Path) -> None:
    from markdown_it import MarkdownIt

    from socle.ingest import ingest

    note = tmp_path / "piscine.md"
    note.write_text(
        f"---\ntitle: {TRAP_TITLE}\n---\n\nLa piscine municipale ferme chaque lundi matin pour la vidange des bassins.\n",
        encoding="utf-8",
    )
    assert not ingest(env.service.store, env.service.embedder, "demo", [note]).failed
    reply = ask(
        openai_client(env, client), "Quel jour la piscine municipale ferme-t-elle pour la vidange des bassins ?"
    )
    extra = reply.model_extra["socle"]
    assert extra["citations"] and extra["citations"][0]["document_title"] == TRAP_TITLE
    content = reply.choices[0].message.content
    assert TRAP_TITLE not in content  # never verbatim: the answer text quotes the title too
    assert "https\\://evil.example" in content and "www\\.evil.example" in content  # no GFM autolink

    tokens = MarkdownIt("commonmark", {"html": True}).parse(content)
    inline = [t for block in tokens for t in (block.children or [])]
    assert not [t for t in tokens + inline if t.type.startswith("html")]  # no raw HTML
    hrefs = [t.attrs["href"] for t in inline if t.type == "link_open"]
    assert hrefs and all(str(h).startswith("http://testserver/documents/demo?passage=") for h in hrefs)
    assert not [t for t in inline if t.type == "image"]
    # what a reader sees is the title itself, character for character (no bold, no entity)
    shown = "".join(t.content for t in inline if t.type == "text")
    assert TRAP_TITLE in shown


# -- ChatMD: what the chatbot's author wrote -----------------------------------------------------
def test_a_chatmd_response_is_given_as_its_author_wrote_it(env: Env, client: TestClient) -> None:
    from socle.chatmd import parse_chatmd

    chatbot_file = Path(__file__).parent / "data" / "chatmd" / "college_vie_scolaire.md"
    source = chatbot_file.read_text(encoding="utf-8")
    imported = client.post(
        "/v1/assistants/chatmd",
        data={"collection": "demo"},
        files={"file": (chatbot_file.name, source.encode(), "text/markdown")},
        headers=auth(env.keys["bob"]),
    )
    assert imported.status_code == 201, imported.text
    name = imported.json()["name"]
    ai = openai_client(env, client)
    clicked = ai.chat.completions.create(
        model=name, messages=[{"role": "user", "content": "Cantine"}], extra_body={"socle_choice": "Cantine"}
    )
    assert clicked.model_extra["socle"]["ai_generated"] is False
    text = clicked.choices[0].message.content
    assert "Réponse générée" not in text and "**Sources**" not in text
    bare = ai.chat.completions.create(
        model=name,
        messages=[{"role": "user", "content": "Cantine"}],
        extra_body={"socle_choice": "Cantine", "socle_sources": "none"},
    )
    assert text == bare.choices[0].message.content  # the author's Markdown, untouched
    lost = ask(ai, "Quelle est la capitale de l'Australie ?", model=name)
    assert lost.choices[0].message.content == parse_chatmd(source).default_messages[0]


# -- the pure functions --------------------------------------------------------------------------
def test_escape_markdown_and_choose_format() -> None:
    from socle.service.sources import choose_format, escape_markdown, shorten

    assert escape_markdown("Article 3 : congés\n  (temps partiel)") == "Article 3 : congés (temps partiel)"
    assert escape_markdown("[a](b) <i> *x* _y_ `z` ~~s~~ \\ &amp;") == (
        "\\[a\\](b) \\<i\\> \\*x\\* \\_y\\_ \\`z\\` \\~\\~s\\~\\~ \\\\ \\&amp;"
    )
    assert escape_markdown("voir https://a.fr et www.b.fr") == "voir https\\://a.fr et www\\.b.fr"
    assert shorten("court") == "court"
    long = shorten("mot " * 100)
    assert len(long) <= 160 and long.endswith("mot…")
    assert choose_format("none", {"sources": "markdown"}, from_web_page=False) == "none"
    assert choose_format(None, {"sources": "none"}, from_web_page=False) == "none"
    assert choose_format(None, {"sources": "n'importe"}, from_web_page=False) == "markdown"
    assert choose_format(None, {}, from_web_page=False) == "markdown"
    assert choose_format(None, {"sources": "markdown"}, from_web_page=True) == "none"
    assert choose_format("markdown", {}, from_web_page=True) == "markdown"


def test_a_correction_is_linked_to_its_page() -> None:
    from socle.answer import Citation
    from socle.service.sources import citation_url

    correction = Citation(1, -7, "correction-7", "Correction validée", "", None, "", "texte", 0, 5, "demo")
    assert citation_url("https://socle.example/", correction) == "https://socle.example/corrections/7"
    odd = Citation(1, 3, "a (b) c.md", "T", "", None, "", "q", 2, 9, "demo")
    assert citation_url("https://socle.example/", odd) == (
        "https://socle.example/documents/demo?passage=3&debut=2&fin=9#citation"  # the key is not shown
    )
