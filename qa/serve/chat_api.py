"""The chat's JSON routes: /api/chat (a turn), /api/source (a cited range in its document) and /api/corpora (list,
upload, index), for clients other than the Gradio chat, which calls the same corpora in process (qa.serve.ui)."""
from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from ..chat.followup import Turn
from ..retrieve.retriever import MAX_QUERY_CHARS
from .api import ERRORS, MAX_K, CLIJSONResponse
from .corpora import Refused

if TYPE_CHECKING:
    from .corpora import Corpora

CORPUS = Field(None, max_length=40, description="corpus name from /api/corpora (default: the one qa serve opened)")


class TurnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(max_length=MAX_QUERY_CHARS, description="the previous turn's resolved question")
    answer: str = Field("", max_length=MAX_QUERY_CHARS, description="its short answer ('' when it abstained)")
    phrase: str = Field("", max_length=MAX_QUERY_CHARS,
                        description="the phrase a follow-up put into it, which the next follow-up may swap")
    topic: str = Field("", max_length=MAX_QUERY_CHARS,
                       description="the topic a follow-up put in brackets, which the next follow-up keeps")
    source: str = Field("", max_length=MAX_QUERY_CHARS,
                        description="the question that topic was taken from, which the chat names instead of it")


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, description="what the user typed",
                         examples=["And for nickel?"])
    previous: TurnIn | None = Field(None, description="the `turn` of the previous reply, for follow-ups")
    k: int = Field(5, ge=1, le=MAX_K, strict=True, description="passages to retrieve as sources")
    corpus: str | None = CORPUS


def router(corpora: "Corpora") -> APIRouter:
    """The chat's routes over the server's corpora. Long because each route is a few lines of its own."""
    api = APIRouter(prefix="/api", tags=["chat"], default_response_class=CLIJSONResponse)

    @api.post("/chat", responses=ERRORS, summary="One chat turn")
    def chat(body: ChatRequest):
        """The answer to `message`, resolved against `previous`: `answer` is `qa ask --json`'s object for the
        resolved question; `display` is what the page shows; `turn` goes back as `previous` next time."""
        service = corpora.service(body.corpus)
        previous = Turn(**body.previous.model_dump()) if body.previous else None
        reply = service.chat(body.message.strip() or body.message, previous, body.k)
        if "error" in reply.data:
            return CLIJSONResponse({"detail": reply.data["error"]}, status_code=422)
        return CLIJSONResponse({"message": body.message, "question": reply.resolved.question,
                                "turn": asdict(reply.turn),
                                "answer": reply.answer.to_dict(), "display": reply.data})

    @api.get("/source", responses=ERRORS, summary="A cited range in its document")
    def source(doc: str = Query(max_length=1000, description="document id, as a citation names it"),
               start: int = Query(ge=0), end: int = Query(ge=1),
               context: int | None = Query(None, ge=0, le=20_000, description="characters either side "
                                           "(default: the whole PDF page, else 600)"),
               corpus: str | None = Query(None, max_length=40)):
        """`text` = the document's characters start..end, with `before` and `after` it, its `page` (PDFs) and
        heading path. `doc` is looked up among the index's documents: no file is opened by name."""
        return CLIJSONResponse(corpora.service(corpus).source(doc, start, end, context))

    @api.get("/corpora", summary="The corpora this server holds")
    def list_corpora():
        return CLIJSONResponse(corpora.list())

    @api.get("/corpora/{name}", responses=ERRORS, summary="One corpus, with its indexing progress")
    def describe(name: str):
        out = corpora.describe(name)
        if out["status"] == "ready":
            out["examples"] = corpora.service(name).examples()
        return CLIJSONResponse(out)

    @api.put("/corpora/{name}/files/{filename}", responses=ERRORS, summary="Upload one file (the raw body)")
    async def put(name: str, filename: str, request: Request):
        """Stores the body as `filename` (sanitised to a base name) in corpus `name`, created on its first file."""
        return CLIJSONResponse(corpora.put(name, filename, await request.body()))

    @api.post("/corpora/{name}/build", responses=ERRORS, summary="Index an uploaded corpus in the background")
    def build(name: str):
        return CLIJSONResponse(corpora.build(name), status_code=202)

    return api


def install(app: FastAPI, corpora: "Corpora") -> None:
    """Add the chat's routes and its refusals (each with its status)."""
    app.include_router(router(corpora))

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused):
        return CLIJSONResponse({"detail": " ".join(str(exc).split())}, status_code=exc.status)
