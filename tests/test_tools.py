"""The chat's server as other programs use it, on one `qa serve --mcp` over loopback: the Gradio API through
gradio_client (ask and search, the same JSON as /api/ask and /api/search; the chat's internal events not listed) and
the MCP tools through the mcp client (the quote with its exact offsets); the server contacts no other host."""
from __future__ import annotations

import asyncio
import json
import urllib.request

import pytest

from conftest import SPEECH_CORPUS
from serving import contacting_nothing, speech_server

COPPER = "Which copper mine in Tibet is mentioned?"
OFF_TOPIC = "Who won the 2022 FIFA World Cup final?"


@pytest.fixture(scope="module")
def served(speech_index_dir, tmp_path_factory):
    yield from speech_server(speech_index_dir, tmp_path_factory, "--uploads", "off", "--mcp")


@pytest.fixture
def url(served):
    yield from contacting_nothing(served)


def post(url: str, route: str, body: dict):
    request = urllib.request.Request(url + route, data=json.dumps(body).encode(),
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as r:
        return json.loads(r.read())


def source(doc: str) -> str:
    return (SPEECH_CORPUS / doc).read_bytes().decode("utf-8")


# ---------------------------------------------------------------- the Gradio API

def test_the_gradio_api_lists_ask_and_search_alone(url):
    with urllib.request.urlopen(url + "gradio_api/info", timeout=30) as r:
        info = json.loads(r.read())
    assert set(info["named_endpoints"]) == {"/ask", "/search"} and not info["unnamed_endpoints"]
    parameters = [p["parameter_name"] for p in info["named_endpoints"]["/ask"]["parameters"]]
    assert parameters == ["question", "k", "mode"]


def test_gradio_client_asks_and_gets_the_json_of_api_ask(url):
    from gradio_client import Client

    client = Client(url, verbose=False)
    api = client.view_api(print_info=False, return_format="dict")
    assert set(api["named_endpoints"]) == {"/ask", "/search"} and not api["unnamed_endpoints"]
    for question in (COPPER, OFF_TOPIC):
        answer = client.predict(question, api_name="/ask")
        assert answer == post(url, "api/ask", {"question": question})
    answer = client.predict(COPPER, 3, "bm25", api_name="/ask")
    assert answer == post(url, "api/ask", {"question": COPPER, "k": 3, "mode": "bm25"})
    for c in answer["citations"]:
        assert source(c["doc"])[c["start"]:c["end"]] == c["text"] and c["text"] in answer["quote"]
    hits = client.predict("cobalt export suspension", 3, api_name="/search")
    assert hits == post(url, "api/search", {"query": "cobalt export suspension", "k": 3}) and len(hits) == 3


def test_gradio_client_is_told_why_a_question_is_refused(url):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(url, verbose=False)
    with pytest.raises(AppError, match="the question is empty"):
        client.predict("   ", api_name="/ask")
    with pytest.raises(AppError, match="k must be a whole number from 1 to 100"):
        client.predict(COPPER, 101, api_name="/ask")
    with pytest.raises(AppError, match="mode must be one of"):
        client.predict("cobalt", 3, "fuzzy", api_name="/search")


def test_the_chat_s_internal_events_cannot_be_called_by_name(url):
    from gradio_client import Client

    client = Client(url, verbose=False)
    for name in ("/submit", "/example", "/source", "/show", "/load"):
        with pytest.raises(Exception):  # noqa: B017 - gradio_client's error for an unknown endpoint varies by kind
            client.predict("x", api_name=name)


# ---------------------------------------------------------------- MCP

def call(url: str, *calls: tuple[str, dict]):
    """The MCP client on `url`/mcp: (its tools by name, the result of each call)."""
    from mcp import Client

    async def session():
        async with Client(url + "mcp") as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            return tools, [await client.call_tool(name, arguments) for name, arguments in calls]

    return asyncio.run(session())


def test_an_agent_asks_the_documents_over_mcp_and_gets_the_quote_with_its_offsets(url):
    tools, (ask, refusal, search) = call(url, ("ask", {"question": COPPER}), ("ask", {"question": OFF_TOPIC, "k": 3}),
                                         ("search", {"query": "cobalt export suspension", "k": 3}))
    assert set(tools) == {"ask", "search"}
    assert set(tools["ask"].input_schema["properties"]) == {"question", "k", "mode"}
    assert "exact character offsets" in tools["ask"].description
    answer = ask.structured_content
    assert not ask.is_error and answer == post(url, "api/ask", {"question": COPPER})
    assert json.loads(ask.content[0].text) == answer
    assert answer["answerable"] and answer["quote"] and answer["citations"]
    for c in answer["citations"]:
        assert source(c["doc"])[c["start"]:c["end"]] == c["text"] and c["text"] in answer["quote"]
    assert refusal.structured_content == post(url, "api/ask", {"question": OFF_TOPIC, "k": 3})
    assert not refusal.structured_content["answerable"]
    assert search.structured_content["result"] == post(url, "api/search", {"query": "cobalt export suspension", "k": 3})


def test_an_mcp_call_that_is_refused_says_why(url):
    _, (blank, too_many) = call(url, ("ask", {"question": "  "}), ("search", {"query": "cobalt", "k": 500}))
    assert blank.is_error and "the question is empty" in blank.content[0].text
    assert too_many.is_error and "k must be a whole number from 1 to 100" in too_many.content[0].text
