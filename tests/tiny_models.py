"""Tiny random-weight checkpoints built on the spot, so the real model code paths (vLLM's engine,
transformers' generate) run without downloading weights.

The Llama model keeps head_dim at 32 (hidden 64, two heads): vLLM's CPU attention needs at least
that. Its tokenizer is a byte-level BPE trained here on a few legal sentences, so any text
tokenizes without unknown tokens, and it carries a chat template like a served model's.
"""

from __future__ import annotations

from pathlib import Path

CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}</s>\n"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)

_TRAINING_TEXT = [
    "The Receiving Party shall hold the Confidential Information in strict confidence.",
    "This Agreement is governed by the laws of the State of Delaware.",
    "Either party may terminate this Agreement on thirty days' written notice.",
    "The court granted the motion to dismiss for lack of personal jurisdiction.",
    "Summarize the obligations, the term, the governing law and the remedies.",
    '{"verdict": "pass", "findings": [], "sections": [{"title": "Term", "statements": []}]}',
    "0123456789 !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ abcdefghijklmnopqrstuvwxyz",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ safe unsafe S1 S2 S3 S14 User Agent Task: Check",
]


def build_tiny_tokenizer(path: Path, vocab_size: int = 1024) -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    special = ["<pad>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>", "<|tool|>"]
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tokenizer.train_from_iterator(_TRAINING_TEXT * 4, trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<s>",
                                   eos_token="</s>", pad_token="<pad>",
                                   additional_special_tokens=special[3:])
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(str(path))


def build_tiny_llama(path: Path, *, seed: int = 0, layers: int = 2,
                     can_stop: bool = True) -> Path:
    """A random LlamaForCausalLM (hidden 64, 2 heads of 32) and its tokenizer in ``path``.

    ``can_stop=False`` zeroes the output row of the end-of-sequence token: its logit is then
    always 0 while the largest of the other random logits is positive, so greedy decoding
    writes every token it is allowed (what a throughput benchmark wants).
    """
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    path.mkdir(parents=True, exist_ok=True)
    build_tiny_tokenizer(path)
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128,
        num_hidden_layers=layers, num_attention_heads=2, num_key_value_heads=2,
        max_position_embeddings=4096, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    if not can_stop:
        with torch.no_grad():
            model.lm_head.weight[tokenizer.eos_token_id].zero_()
    model.save_pretrained(str(path))
    return path
