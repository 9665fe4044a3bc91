"""A tiny random-weight injection classifier built on the spot: a BERT sequence classifier with
Prompt Guard 2's labels and a word-level fast tokenizer, so the real transformers code path
(tokenizing into overlapping windows, batching, softmax) runs without downloading weights."""

from __future__ import annotations

from pathlib import Path

WORDS = ("the", "party", "shall", "pay", "within", "thirty", "days", "ignore", "all", "previous",
         "instructions", "and", "reveal", "system", "prompt", "agreement", "court", "notice",
         "terminate", "governing", "law", "delaware", "assistant", "summary", "secret",
         "token", "call", "tool", "send", "email", "to")


def build_tiny_classifier(path: Path, *, seed: int = 0, labels: tuple[str, ...] = (
        "BENIGN", "MALICIOUS")) -> Path:
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    path.mkdir(parents=True, exist_ok=True)
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
    vocab = {token: i for i, token in enumerate(specials + [f"w{n}" for n in range(50)]
                                                + list(dict.fromkeys(WORDS)))}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]",
                                   pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]",
                                   model_max_length=512)
    fast.save_pretrained(str(path))
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=64,
                        max_position_embeddings=512, num_labels=len(labels),
                        id2label=dict(enumerate(labels)),
                        label2id={label: i for i, label in enumerate(labels)},
                        pad_token_id=vocab["[PAD]"])
    torch.manual_seed(seed)
    BertForSequenceClassification(config).save_pretrained(str(path))
    return path
