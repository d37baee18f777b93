"""The translate view of a seq2seq run: its network decodes greedily (feeding itself its
own predictions), a source a person types and the whole test split, whose share of
targets written exactly right is the honest measure of a translator."""

from __future__ import annotations

import torch
from pydantic import BaseModel, Field

from app.inspect import InspectError
from app.inspect.translation import greedy_decode
from app.runs.inspection import Subject
from app.runs.views.registry import BodyIn, Look, fed, view

START, PAD = "<s>", "<pad>"
MAX_EXAMPLES = 100


class TranslateIn(BodyIn):
    source: str | None = Field(default=None, max_length=2000, description=(
        "A source to translate, words of the model's vocabulary separated by spaces "
        "(e.g. 'three hundred and twelve'); default: none, only the test split."))
    examples: int = Field(default=10, ge=0, le=MAX_EXAMPLES, description=(
        "Test samples to list with their greedy translation."))


class TranslationExample(BaseModel):
    source: str
    target: str = Field(description="The true target.")
    output: str = Field(description="What the network wrote, decoding greedily.")
    right: bool


class TranslateOut(BaseModel):
    source: str | None = None
    source_tokens: list[str] | None = Field(default=None, description=(
        "The source as the network reads it, padded to its source length."))
    translation: str | None = Field(default=None, description=(
        "The network's greedy translation of `source`."))
    test_exact: float = Field(description=(
        "Share of the test split's targets decoded greedily exactly right, every token."))
    test_token_accuracy: float = Field(description=(
        "Share of the test split's target tokens decoded greedily right (training's "
        "accuracy is on teacher-forced inputs, each position fed the true tokens before it)."))
    test_samples: int
    examples: list[TranslationExample]


def _layout(subject: Subject) -> tuple[list[str], int, int]:
    """The vocabulary, the source length and the start token of a seq2seq dataset."""
    vocab, source_len = subject.class_names, subject.info.source_len
    if not vocab or source_len is None or START not in vocab or PAD not in vocab:
        raise InspectError(f"translation needs a seq2seq dataset with a '{START}' start "
                           f"token and a '{PAD}' padding token (e.g. number-words)")
    return vocab, source_len, vocab.index(START)


def _text(tokens: list[str]) -> str:
    shown = [t for t in tokens if t != PAD]
    return ("" if all(len(t) == 1 for t in shown) else " ").join(shown)


def _source_ids(text: str, vocab: list[str], source_len: int) -> list[int]:
    words = text.lower().replace("-", " ").split()
    unknown = sorted({w for w in words if w not in vocab or w in (START, PAD)})
    if unknown:
        words_known = [w for w in vocab if w not in (START, PAD)]
        raise InspectError(f"source: {', '.join(map(repr, unknown[:10]))} not in the "
                           f"model's vocabulary ({', '.join(words_known)})")
    if not 1 <= len(words) <= source_len:
        raise InspectError(f"source: 1 to {source_len} words, not {len(words)}")
    return [vocab.index(w) for w in words] + [vocab.index(PAD)] * (source_len - len(words))


@view("translate", "Translate", method="POST", applies=fed, own=True)
def _translate(look: Look, params: TranslateIn) -> TranslateOut:
    """Greedy decoding: the network translates a source one target token at a time, each
    step reading the tokens it wrote before; and the test split decoded the same way."""
    subject = look.subject
    vocab, source_len, start = _layout(subject)
    x, y = look.split("test")
    written = greedy_decode(subject.model, x, source_len, start, subject.batch)
    right = written == y  # (N, T)
    answer = TranslateOut(test_exact=float(right.all(dim=1).float().mean()),
                          test_token_accuracy=float(right.float().mean()),
                          test_samples=len(x), examples=[
        TranslationExample(source=_text([vocab[i] for i in x[n, :source_len].tolist()]),
                           target=_text([vocab[i] for i in y[n].tolist()]),
                           output=_text([vocab[i] for i in written[n].tolist()]),
                           right=bool(right[n].all()))
        for n in range(min(params.examples, len(x)))])
    if params.source is not None:
        ids = _source_ids(params.source, vocab, source_len)
        row = torch.tensor([ids + [start] * (x.shape[1] - source_len)])
        out = greedy_decode(subject.model, row, source_len, start)[0].tolist()
        answer.source, answer.translation = params.source, _text([vocab[i] for i in out])
        answer.source_tokens = [vocab[i] for i in ids]
    return answer
