"""``OpenAICompatibleLLM``: any server speaking ``POST /v1/chat/completions`` (vLLM serve,
Ollama, TGI, llama.cpp server), over plain httpx.

Retries 429, 5xx and connection failures with exponential backoff (honouring ``Retry-After``);
a read timeout is not retried, because the server may still be generating and a second request
would only add load. Structured output asks for ``response_format: json_schema``; a server that
refuses that field gets the request again without it, with the schema in an extra system
message, and the answer is parsed and validated here either way.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from lexgraph.core.llm.base import (
    ChatRequest,
    ChatResult,
    LLMAuthError,
    LLMResponseError,
    LLMTimeout,
    LLMUnavailable,
    Usage,
)
from lexgraph.core.llm.structured import check_schema, parse_structured
from lexgraph.core.prompts import prompt_text

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Statuses with which servers refuse an unknown or unsupported request field.
_FIELD_REFUSED = frozenset({400, 422})


def normalize_base_url(base_url: str) -> str:
    """``http://host:8000`` and ``http://host:8000/v1/`` both mean ``http://host:8000/v1``."""
    url = base_url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"LLM base URL must start with http:// or https://, got {base_url!r}")
    return url if url.endswith("/v1") else url + "/v1"


class OpenAICompatibleLLM:
    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout_s: float = 120.0,
        connect_timeout_s: float = 10.0,
        max_retries: int = 3,
        backoff_s: float = 0.5,
        max_backoff_s: float = 8.0,
        max_tokens: int | None = None,
        temperature: float | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not model:
            raise ValueError("an OpenAI-compatible backend needs a model name")
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.base_url = normalize_base_url(base_url)
        self._model = model
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.max_tokens = max_tokens
        self.temperature = temperature
        self._sleep = sleep
        headers = {"Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=min(connect_timeout_s, timeout_s)),
            transport=transport,
            # Proxy variables of the host must not route prompts somewhere else.
            trust_env=False,
        )
        self._timeout_s = timeout_s
        self._lock = threading.Lock()
        self._schema_field_supported = True

    @property
    def model(self) -> str:
        return self._model

    def __repr__(self) -> str:
        return f"OpenAICompatibleLLM(base_url={self.base_url!r}, model={self._model!r})"

    def close(self) -> None:
        self._http.close()

    # -- request building -------------------------------------------------------------------

    def _body(self, request: ChatRequest, *, schema_field: bool) -> dict[str, Any]:
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        body: dict[str, Any] = {"model": self._model, "messages": messages, "stream": False}
        max_tokens = request.max_tokens if request.max_tokens is not None else self.max_tokens
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        temperature = request.temperature if request.temperature is not None else self.temperature
        if temperature is not None:
            body["temperature"] = temperature
        if request.stop:
            body["stop"] = list(request.stop)
        if request.json_schema is not None:
            if schema_field:
                body["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": request.schema_name,
                                    "schema": dict(request.json_schema), "strict": True},
                }
            else:
                instruction = prompt_text("llm.yaml", "structured_output_fallback").format(
                    schema=json.dumps(request.json_schema, indent=2, sort_keys=True))
                messages.append({"role": "system", "content": instruction})
        return body

    # -- transport ------------------------------------------------------------------------

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        retry_after = response.headers.get("retry-after") if response is not None else None
        if retry_after:
            try:
                return min(max(float(retry_after), 0.0), self.max_backoff_s)
            except ValueError:
                pass  # an HTTP date: fall back to our own backoff
        base = min(self.backoff_s * (2 ** attempt), self.max_backoff_s)
        return float(base * (0.5 + random.random() / 2))

    def _post(self, body: Mapping[str, Any], path: str = "/chat/completions") -> httpx.Response:
        where = f"{self.base_url}{path}"
        attempts = self.max_retries + 1
        last = ""
        for attempt in range(attempts):
            response: httpx.Response | None = None
            try:
                response = self._http.post(path, json=body)
            except httpx.TimeoutException as exc:
                if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
                    last = f"connecting timed out ({type(exc).__name__})"
                else:
                    raise LLMTimeout(
                        f"the LLM server at {where} did not answer within {self._timeout_s:g} s; "
                        "raise LEXGRAPH_LLM_TIMEOUT_SECONDS or check the server's load") from exc
            except httpx.TransportError as exc:
                last = f"connection failed ({type(exc).__name__}: {exc})"
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
                # A 429's own text ("rate limit…") would make CrewAI's wrapper retry our retries.
                last = ("HTTP 429" if response.status_code == 429
                        else f"HTTP {response.status_code}{_detail(response)}")
            if attempt + 1 < attempts:
                self._sleep(self._delay(attempt, response))
        raise LLMUnavailable(
            f"the LLM server at {where} kept failing after {attempts} attempt(s); last: {last}")

    # -- the Protocol -----------------------------------------------------------------------

    def chat(self, request: ChatRequest) -> ChatResult:
        if request.json_schema is not None:
            check_schema(request.json_schema)
        with self._lock:
            schema_field = self._schema_field_supported
        response = self._post(self._body(request, schema_field=schema_field))
        if (request.json_schema is not None and schema_field
                and response.status_code in _FIELD_REFUSED and _mentions_format(response)):
            with self._lock:
                self._schema_field_supported = False
            response = self._post(self._body(request, schema_field=False))
        self._raise_for_status(response)
        return self._result(request, response)

    def complete(self, prompts: Sequence[str], *, max_tokens: int = 16,
                 metadata: Mapping[str, str] | None = None) -> list[ChatResult]:
        """Raw prompts through ``/v1/completions``, all in one request (the server batches)."""
        if not prompts:
            return []
        body: dict[str, Any] = {"model": self._model, "prompt": list(prompts),
                                "max_tokens": max_tokens, "temperature": 0.0, "stream": False}
        response = self._post(body, "/completions")
        self._raise_for_status(response, "/completions")
        where = f"{self.base_url}/completions"
        try:
            payload = response.json()
            choices = sorted(payload["choices"], key=lambda c: int(c.get("index", 0)))
            texts = [c.get("text") or "" for c in choices]
            reasons = [c.get("finish_reason") for c in choices]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise LLMResponseError(f"the LLM server at {where} answered with something that is "
                                   "not a completion") from None
        if len(texts) != len(prompts) or not all(isinstance(t, str) for t in texts):
            raise LLMResponseError(f"the LLM server at {where} returned {len(texts)} "
                                   f"completion(s) for {len(prompts)} prompt(s)")
        usage_data = payload.get("usage") or {}
        # The server reports usage for the whole batch; spread it so totals stay right.
        prompt_total = _int(usage_data.get("prompt_tokens"))
        completion_total = _int(usage_data.get("completion_tokens"))
        n = len(prompts)
        model = payload.get("model") if isinstance(payload.get("model"), str) else self._model
        return [ChatResult(text=text, model=model or self._model,
                           usage=Usage(prompt_total // n + (i < prompt_total % n),
                                       completion_total // n + (i < completion_total % n)),
                           finish_reason=reason)
                for i, (text, reason) in enumerate(zip(texts, reasons, strict=True))]

    def _raise_for_status(self, response: httpx.Response,
                          path: str = "/chat/completions") -> None:
        status = response.status_code
        if status < 400:
            return
        where = f"{self.base_url}{path}"
        if status in (401, 403):
            raise LLMAuthError(f"the LLM server at {where} refused the credentials (HTTP "
                               f"{status}); check LEXGRAPH_LLM_API_KEY")
        if status == 404:
            raise LLMResponseError(
                f"HTTP 404 from {where}: wrong LEXGRAPH_LLM_BASE_URL, or the server does not "
                f"serve model {self._model!r} (LEXGRAPH_LLM_MODEL){_detail(response)}")
        raise LLMResponseError(f"HTTP {status} from {where}{_detail(response)}")

    def _result(self, request: ChatRequest, response: httpx.Response) -> ChatResult:
        where = f"{self.base_url}/chat/completions"
        try:
            payload = response.json()
            choice = payload["choices"][0]
            message = choice["message"]
            text = message.get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise LLMResponseError(
                f"the LLM server at {where} answered HTTP {response.status_code} with something "
                "that is not a chat completion") from None
        if not isinstance(text, str):
            raise LLMResponseError(f"the LLM server at {where} returned non-text content")
        usage_data = payload.get("usage") or {}
        usage = Usage(prompt_tokens=_int(usage_data.get("prompt_tokens")),
                      completion_tokens=_int(usage_data.get("completion_tokens")))
        structured = None
        if request.json_schema is not None:
            structured = parse_structured(text, request.json_schema)
        model = payload.get("model")
        if not isinstance(model, str) or not model:
            model = self._model
        return ChatResult(text=text, model=model, usage=usage, structured=structured,
                          finish_reason=choice.get("finish_reason"))


def _int(value: Any) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


def _detail(response: httpx.Response) -> str:
    """The server's own error message, shortened: it is what tells an operator what is wrong."""
    try:
        payload = response.json()
    except ValueError:
        text = response.text.strip()
    else:
        error = payload.get("error", payload) if isinstance(payload, dict) else payload
        message = error.get("message") if isinstance(error, dict) else None
        text = message if isinstance(message, str) else json.dumps(error)[:300]
    text = " ".join(text.split())[:300]
    return f": {text}" if text else ""


def _mentions_format(response: httpx.Response) -> bool:
    text = response.text.lower()
    return any(word in text for word in ("response_format", "json_schema", "guided", "grammar"))
