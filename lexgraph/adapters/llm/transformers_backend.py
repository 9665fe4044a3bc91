"""``TransformersLLM``: a causal language model run in process with Hugging Face transformers,
on the CPU or one GPU. For laptops, small guard models and hosts without vLLM.

``model`` is a hub id or a local directory; a directory is loaded with ``local_files_only`` so an
offline host never reaches for the hub. Generation holds a lock: one ``generate`` at a time per
model (transformers has no scheduler; two concurrent calls would only fight for the same
cores), while ``complete`` runs its prompts as one padded batch. Structured output constrains
decoding with xgrammar's JSON-schema grammar when xgrammar is installed (it comes with vLLM),
and otherwise asks for JSON in the prompt; the answer is validated here either way.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lexgraph.core.llm.base import ChatRequest, ChatResult, LLMError, Usage
from lexgraph.core.llm.scripted import apply_stop
from lexgraph.core.llm.structured import chat_result, check_schema
from lexgraph.core.prompts import prompt_text

_DTYPES = ("auto", "float32", "float16", "bfloat16")


class TransformersLLM:
    def __init__(self, model: str, *, device: str = "cpu", dtype: str = "auto",
                 max_new_tokens: int = 512, temperature: float | None = 0.0,
                 served_name: str | None = None) -> None:
        if dtype not in _DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(_DTYPES)}, got {dtype!r}")
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as exc:  # pragma: no cover - both are core dependencies
            raise LLMError("the transformers backend needs torch and transformers",
                           code="llm_backend_missing") from exc
        self._torch = torch
        local = Path(model).expanduser().is_dir()
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(model, local_files_only=local)
            torch_dtype: Any = "auto" if dtype == "auto" else getattr(torch, dtype)
            loaded: Any = AutoModelForCausalLM.from_pretrained(
                model, local_files_only=local, dtype=torch_dtype)
            self._model = loaded.to(device)
        except (OSError, ValueError) as exc:
            raise LLMError(f"cannot load model {model!r} with transformers: {exc}",
                           code="llm_model_unavailable") from exc
        self._model.eval()
        if self._tokenizer.pad_token_id is None:
            self._tokenizer.pad_token = self._tokenizer.eos_token
        # Left padding: in a batch, every row's generation starts right after its own prompt.
        self._tokenizer.padding_side = "left"
        self._device = device
        self._name = served_name or model
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self._lock = threading.Lock()
        self._grammars: Any = None

    @property
    def model(self) -> str:
        return self._name

    def close(self) -> None:
        """Nothing to stop: the weights go with the object."""

    # -- prompt rendering ----------------------------------------------------------------------

    def render(self, request: ChatRequest) -> str:
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        if request.json_schema is not None and self._grammar_compiler() is None:
            messages.append({"role": "system", "content": prompt_text(
                "llm.yaml", "structured_output_fallback").format(
                    schema=json.dumps(request.json_schema, indent=2, sort_keys=True))})
        if getattr(self._tokenizer, "chat_template", None):
            return str(self._tokenizer.apply_chat_template(messages, tokenize=False,
                                                           add_generation_prompt=True))
        # A base model without a template: plain role-prefixed turns.
        turns = [f"{m['role']}: {m['content']}" for m in messages]
        return "\n".join([*turns, "assistant:"])

    def _grammar_compiler(self) -> Any:
        if self._grammars is None:
            try:
                import xgrammar as xgr
            except ImportError:
                self._grammars = False
            else:
                info = xgr.TokenizerInfo.from_huggingface(
                    self._tokenizer, vocab_size=self._model.config.vocab_size)
                self._grammars = xgr.GrammarCompiler(info)
        return self._grammars or None

    def _schema_processor(self, schema: Mapping[str, Any]) -> Any:
        compiler = self._grammar_compiler()
        if compiler is None:
            return None
        import xgrammar as xgr
        from transformers import LogitsProcessorList

        grammar = compiler.compile_json_schema(json.dumps(dict(schema)), any_whitespace=False)
        return LogitsProcessorList([xgr.contrib.hf.LogitsProcessor(grammar)])

    # -- generation --------------------------------------------------------------------------

    def _generate(self, prompts: Sequence[str], *, max_new_tokens: int,
                  temperature: float | None, logits_processor: Any = None
                  ) -> list[tuple[str, int, int, str]]:
        torch = self._torch
        tokenizer = self._tokenizer
        batch = tokenizer(list(prompts), return_tensors="pt", padding=True,
                          add_special_tokens=False).to(self._device)
        sample = temperature is not None and temperature > 0
        options: dict[str, Any] = {"max_new_tokens": max_new_tokens, "do_sample": sample,
                                   "pad_token_id": tokenizer.pad_token_id}
        if sample:
            options["temperature"] = temperature
        if logits_processor is not None:
            options["logits_processor"] = logits_processor
        with self._lock, torch.inference_mode():
            output = self._model.generate(**batch, **options)
        width = batch["input_ids"].shape[1]
        eos = tokenizer.eos_token_id
        results = []
        for row, mask in zip(output, batch["attention_mask"], strict=True):
            new = row[width:].tolist()
            reason = "length"
            if eos in new:
                new = new[:new.index(eos)]
                reason = "stop"
            while new and new[-1] == tokenizer.pad_token_id and tokenizer.pad_token_id != eos:
                new.pop()
            text = str(tokenizer.decode(new, skip_special_tokens=True))
            results.append((text, int(mask.sum()), len(new) + (reason == "stop"), reason))
        return results

    def chat(self, request: ChatRequest) -> ChatResult:
        if request.json_schema is not None:
            check_schema(request.json_schema)
        processor = (self._schema_processor(request.json_schema)
                     if request.json_schema is not None else None)
        max_new = request.max_tokens if request.max_tokens is not None else self.max_new_tokens
        temperature = request.temperature if request.temperature is not None else self.temperature
        text, prompt_tokens, completion_tokens, reason = self._generate(
            [self.render(request)], max_new_tokens=max_new, temperature=temperature,
            logits_processor=processor)[0]
        cut = apply_stop(text, request.stop)
        if cut != text:
            text, reason = cut, "stop"
        return chat_result(request, text, model=self.model,
                           usage=Usage(prompt_tokens, completion_tokens), finish_reason=reason)

    def complete(self, prompts: Sequence[str], *, max_tokens: int = 16,
                 metadata: Mapping[str, str] | None = None) -> list[ChatResult]:
        if not prompts:
            return []
        return [ChatResult(text=text, model=self.model, usage=Usage(p, c), finish_reason=reason)
                for text, p, c, reason in self._generate(prompts, max_new_tokens=max_tokens,
                                                         temperature=0.0)]
