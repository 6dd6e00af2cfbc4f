"""The HTTP API: POST /api/ask, POST /api/search and GET /api/health, documented by the OpenAPI schema.

The JSON of /api/ask and /api/search is byte for byte what `qa ask --json` and `qa search --json` print.
Bad bodies get 422 with the reason, bodies over `MAX_BODY_BYTES` get 413, and no error response carries a
stack trace or echoes the request back.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from .. import __version__
from ..errors import QAError
from ..retrieve.retriever import MAX_QUERY_CHARS, MODES

if TYPE_CHECKING:
    from .service import Service

MAX_BODY_BYTES = 256 * 1024  # room for a question at the 20,000-character limit, even \u-escaped
MAX_K = 100
Mode = Literal[MODES]  # type: ignore[valid-type]


class CLIJSONResponse(JSONResponse):
    """JSON as the CLI prints it: `json.dumps(obj)` (ASCII, default separators) and a newline."""

    def render(self, content) -> bytes:
        return (json.dumps(content) + "\n").encode("ascii")


# ---------------------------------------------------------------- request bodies

class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, description="the question",
                          examples=["Which copper mine in Tibet is mentioned?"])
    k: int = Field(5, ge=1, le=MAX_K, strict=True, description="passages to return with the answer")
    mode: Mode = Field("hybrid", description="retrieval: dense + BM25 fused (hybrid), or one of them alone")


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, description="the question or search words",
                       examples=["cobalt export suspension"])
    k: int = Field(5, ge=1, le=MAX_K, strict=True, description="passages to return")
    mode: Mode = Field("hybrid", description="retrieval: dense + BM25 fused (hybrid), or one of them alone")


# ---------------------------------------------------------------- response bodies (for the schema)

class PassageOut(BaseModel):
    id: str = Field(description="passage id: doc#row")
    doc: str = Field(description="path of the document relative to the corpus folder")
    start: int = Field(description="character offset of the passage in the document")
    end: int = Field(description="end offset (exclusive): source[start:end] == text")
    score: float = Field(description="fused retrieval score")
    heading: str = Field(description="heading path the passage sits under ('Title › Section')")
    text: str


class CitationOut(BaseModel):
    doc: str
    start: int
    end: int
    text: str = Field(description="source[start:end], verbatim")
    score: float
    heading: str
    # a key only PDF sources have: absent, never null, for the others (the dict is Citation.to_dict's)
    page: int = Field(None, ge=1, description="the PDF page the excerpt starts on, from 1; PDF sources only")


class SpanOut(BaseModel):
    doc: str
    start: int
    end: int


class AnswerOut(BaseModel):
    question: str
    read_as: str = Field(description="the question as the assistant read it: `question`, or its last sentence when "
                                     "the sentences before it only say who asks or why (a preamble)")
    answerable: bool = Field(description="false when the corpus does not answer (an abstention)")
    answer: str = Field(description="the shortest answering span, verbatim; empty when abstaining")
    quote: str = Field(description="the answering sentence(s), verbatim; empty when abstaining")
    confidence: float = Field(description="calibrated probability that the corpus answers the question")
    answer_span: SpanOut | None = Field(description="where the short answer sits in its document")
    citations: list[CitationOut]
    passages: list[PassageOut] = Field(description="the retrieved passages, best first")


class HealthOut(BaseModel):
    status: Literal["ok"]
    qa_version: str
    model: str
    documents: int
    passages: int
    sentences: int
    corpus: str = Field(description="title of the corpus: a single document's front-matter title, or a count")
    manifest: dict = Field(description="the index manifest (format, model, settings, corpus hash, checksums)")


class ErrorOut(BaseModel):
    detail: str | list


# ---------------------------------------------------------------- size limit

class BodyLimit:
    """ASGI middleware: a request under `prefix` whose body exceeds `limit` bytes gets 413, whether it says
    its length (Content-Length) or streams it (chunked). The body is read here and replayed downstream."""

    def __init__(self, app, limit: int = MAX_BODY_BYTES, prefix: str = "/api/", skip: str | None = None):
        self.app, self.limit, self.prefix, self.skip = app, limit, prefix, skip

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(self.prefix) or (self.skip and path.startswith(self.skip)):
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.limit
            except ValueError:
                return await self._refuse(send, 400, "invalid Content-Length header")
            if too_big:
                return await self._refuse(send, 413, self._message())
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return await self._refuse(send, 413, self._message())
            chunks.append(chunk)
            more = message.get("more_body", False)
        body, replayed = b"".join(chunks), False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)

    def _message(self) -> str:
        return f"request body too large: the limit is {self.limit:,} bytes"

    @staticmethod
    async def _refuse(send, status: int, detail: str) -> None:
        body = (json.dumps({"detail": detail}) + "\n").encode("ascii")
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


# ---------------------------------------------------------------- routes

ERRORS = {413: {"model": ErrorOut, "description": "request body too large"},
          422: {"model": ErrorOut, "description": "invalid body, or a question the assistant refuses"}}


def router(service: "Service") -> APIRouter:
    """The API routes over one loaded `Service`."""
    api = APIRouter(prefix="/api", tags=["qa"], default_response_class=CLIJSONResponse)

    @api.post("/ask", response_model=AnswerOut, responses=ERRORS, summary="Answer a question, or abstain")
    def ask(body: AskRequest):
        """The answer as `qa ask --json` prints it: the short answer, the quote, exact-offset citations and the
        retrieved passages; `answerable` is false when the corpus does not answer."""
        return CLIJSONResponse(service.ask(body.question, k=body.k, mode=body.mode).to_dict())

    @api.post("/search", response_model=list[PassageOut], responses=ERRORS, summary="Ranked passages")
    def search(body: SearchRequest):
        """The passages that best match the query, best first, with fused scores and exact offsets, as
        `qa search --json` prints them."""
        return CLIJSONResponse([h.to_dict() for h in service.search(body.query, k=body.k, mode=body.mode)])

    @api.get("/health", response_model=HealthOut, summary="Status, model and index")
    def health():
        """Whether the server is up, which model and index it answers from, and the index's size."""
        return CLIJSONResponse(service.health())

    return api


def _validation_errors(exc: RequestValidationError) -> list[dict]:
    """The reasons, without the offending input (which may be large, or not ours to echo)."""
    return [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()]


def install(app: FastAPI, service: "Service", body_limit: bool = True) -> None:
    """Add the API routes, the body-size limit (unless the caller sets its own) and the error handlers to `app`."""
    app.include_router(router(service))
    if body_limit:
        app.add_middleware(BodyLimit)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        return CLIJSONResponse({"detail": _validation_errors(exc)}, status_code=422)

    @app.exception_handler(QAError)
    async def refused(request: Request, exc: QAError):
        return CLIJSONResponse({"detail": " ".join(str(exc).split())}, status_code=422)

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception):  # never a stack trace to the client
        return CLIJSONResponse({"detail": f"internal error ({exc.__class__.__name__})"}, status_code=500)


def create_api(service: "Service", body_limit: bool = True) -> FastAPI:
    """A FastAPI app with the API alone (the server adds the chat to the same app)."""
    app = FastAPI(title="qa", version=__version__, docs_url=None, redoc_url=None,
                  description="Document-grounded question answering: verbatim answers with exact "
                              "character-offset citations, or an abstention.")
    install(app, service, body_limit)
    return app
