"""The inspect-view registry. Each view is declared once, with `@view`: its name (the
URL segment under /runs/{id}/inspect), which runs it applies to, its parameters model and
its answer model (read from the function's annotations) and the function itself. The API
builds one route per view from this table and lists, per run, the views that apply.

Views of the network take parameters derived from `AtEpoch`: they get the run's network
with the weights asked for, and run holding that network's lock (forward hooks and
attention capture are per module). Other views (histograms, a GAN's samples) read only
the run's folder."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar, cast, get_type_hints

import torch
from pydantic import BaseModel, Field

from app.runs.facts import RunFacts
from app.runs.inspection import Split, Subject, SubjectCache
from app.store.base import RunRecord

Method = Literal["GET", "POST"]
ANSWERS_KEPT = 16  # per network's weights: the views and samples last looked at
ANSWER_MAX_BYTES = 4_000_000  # a bigger answer is not kept: 4 networks x 16 x 4 MB at most
P = TypeVar("P", bound=BaseModel)
A = TypeVar("A", bound=BaseModel)


class AtEpoch(BaseModel):
    """Parameters of a view of the network: which of its weights to look at."""

    model_config = {"extra": "forbid"}
    epoch: int | None = Field(default=None, ge=0, le=1_000_000, description=(
        "Use the weights kept at the end of this epoch (see /inspect/epochs); default: "
        "the latest checkpoint."))


class BodyIn(AtEpoch):
    """Parameters a POST view reads from a JSON body: values keep their JSON types, as in
    the specs (`true` is no sample index, `"5"` no count); a GET view's come as text."""

    model_config = {"extra": "forbid", "strict": True}


@dataclass(frozen=True)
class Look:
    """What a view's function works on: the run, its network (views of the network
    only) and the cache that reads the run's data."""

    cache: SubjectCache
    run: RunRecord
    network: Subject | None

    @property
    def subject(self) -> Subject:
        assert self.network is not None, "a view of the network takes AtEpoch parameters"
        return self.network

    @property
    def run_dir(self) -> Path:
        return self.cache.run_dir(self.run)

    def split(self, split: Split) -> tuple[torch.Tensor, torch.Tensor]:
        """(x, y) of a split as the run saw it (a GAN refuses: its network reads noise)."""
        return self.cache.split(self.run, split)

    def points(self, split: Split) -> tuple[torch.Tensor, torch.Tensor]:
        """(points, y) of a split of a 2-D set: its samples as points (x, y) on the plane,
        whatever features of them the network reads (`subject.info.plane`)."""
        return self.cache.points(self.run, split)


@dataclass(frozen=True)
class View(Generic[P, A]):
    """One inspect view; `applies` says whether a run has it, `own` that only the task
    kinds naming it in their `views` have it."""

    name: str
    title: str
    description: str
    method: Method
    params: type[P]
    answer: type[A]
    function: Callable[[Look, P], A]
    applies: Callable[[RunFacts], bool]
    own: bool
    operation: str

    def fits(self, facts: RunFacts) -> bool:
        """Whether the view applies to a run with these facts."""
        return (self.name in facts.kind.views or not self.own) and self.applies(facts)

    def answer_for(self, cache: SubjectCache, run_id: str, params: P) -> A:
        """The view of one run: the subject, the lock, then the function. A view of the
        network is a function of its weights and parameters: the answer is kept with the
        weights, so asking again (another tab, back to a sample) costs nothing."""
        if not isinstance(params, AtEpoch):
            return self.function(Look(cache, cache.runs.get(run_id), None), params)
        subject = cache.subject(run_id, params.epoch)
        key = (self.name, hashlib.sha256(params.model_dump_json().encode()).hexdigest())
        with subject.lock:
            if key in subject.answers:
                subject.answers.move_to_end(key)
                return cast(A, subject.answers[key])
            answer = self.function(Look(cache, subject.run, subject), params)
            if text_size(answer) <= ANSWER_MAX_BYTES:  # a big one is worked out again
                subject.answers[key] = answer
                while len(subject.answers) > ANSWERS_KEPT:
                    subject.answers.popitem(last=False)
            return answer


def text_size(value: Any) -> int:
    """About how many bytes an answer holds: the length of its text (arrays travel as
    base64 text, which is nearly all of a big answer), walked without serialising it."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, BaseModel):
        return sum(text_size(getattr(value, name)) for name in type(value).model_fields)
    if isinstance(value, list | tuple):
        return sum(text_size(item) for item in value) + len(value)
    if isinstance(value, dict):
        return sum(text_size(item) for item in value.values())
    return 8


VIEWS: dict[str, View[Any, Any]] = {}
"""View name -> view, in the order they were declared."""


def always(facts: RunFacts) -> bool:
    return True


def fed(facts: RunFacts) -> bool:
    """Views that feed the dataset's samples (or an input like them) to the network."""
    return facts.fed


def view(name: str, title: str, *, method: Method = "GET",
         applies: Callable[[RunFacts], bool] = always, own: bool = False,
         operation: str | None = None) -> Callable[[Callable[[Look, P], A]],
                                                   Callable[[Look, P], A]]:
    """Declare a view: `function(look, params) -> answer`, its docstring the view's
    description. `operation` names its route (default inspect_<name>)."""

    def register(function: Callable[[Look, P], A]) -> Callable[[Look, P], A]:
        if name in VIEWS:
            raise ValueError(f"inspect view {name!r} is declared twice")
        hints = get_type_hints(function)
        if method == "POST" and not issubclass(hints["params"], BodyIn):
            raise TypeError(f"inspect view {name!r}: a POST view's parameters are a BodyIn")
        VIEWS[name] = View(name, title, " ".join((function.__doc__ or title).split()), method,
                           hints["params"], hints["return"], function, applies, own,
                           operation or "inspect_" + name.replace("/", "_"))
        return function

    return register


def views_for(facts: RunFacts) -> list[View[Any, Any]]:
    """The views that apply to a run, in declaration order."""
    return [v for v in VIEWS.values() if v.fits(facts)]
