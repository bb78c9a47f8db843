"""The offline semantic layer: a step the parser cannot match is compared, by sentence
embedding (:mod:`brainbody.brain.sentence_embedding`, all-MiniLM-L6-v2 in numpy), with
every catalogue phrase and with examples of what must be refused.

Decision rule, per step:

1. embed the step; cosine similarity with every example (skill phrases with their
   ``{place}`` filled, the catalogue's unsafe examples and out-of-scope examples); when
   the step opens with a verb some skills list (``verbs`` in skills.yaml; the word as said
   or its canonical synonym), only those skills compete (refusal examples always do);
2. the best example's class wins if its similarity is at least ``semantic_threshold``
   and beats the best example of any *other* class by ``semantic_margin``;
3. a win by an unsafe class refuses with that rule's reason (UNSAFE_REQUEST); a win by
   the out-of-scope class, or no win, refuses and lists what the robot can do
   (UNKNOWN_INTENT);
4. a skill win is then checked against the objects the step names, deterministically:
   every named object must be one the skill uses, a graspable object may not be named
   as a destination ("put the tray on the cup"), a skill whose every catalogue phrase
   names its object needs the request to name it too ("put the plate on the tray" is not
   a request to move the cup), a step naming only objects the skill merely ``may_mention``
   must open with one of the skill's verbs ("start the coffee machine" presses its button;
   "clean the coffee machine" and "turn off the coffee machine" do not), and a ``{place}``
   parameter binds to the place named (or the skill is refused if none or several are named).

Similarity alone never moves the robot: what it returns becomes a plan that goes through
the same contracts and validation as every other plan.
"""
from __future__ import annotations

import dataclasses
import logging
from typing import Optional

import numpy as np

from brainbody.brain.intent import IntentParser, SegmentMatch, SegmentQuery, _words
from brainbody.brain.sentence_embedding import SentenceEncoder, shared_encoder
from brainbody.brain.skills import SkillCatalogue
from brainbody.exceptions import UnknownIntentError, UnsafeRequestError

log = logging.getLogger(__name__)

OUT_OF_SCOPE = "<out of scope>"
UNSAFE = "<unsafe>"


@dataclasses.dataclass(frozen=True)
class Example:
    """One embedded example sentence and what it stands for."""

    text: str
    label: str                 # skill name, OUT_OF_SCOPE or "<unsafe>:<i>"
    bindings: tuple[tuple[str, str], ...] = ()


@dataclasses.dataclass(frozen=True)
class Scored:
    """The matcher's view of one step: best class, its score and the runner-up's."""

    label: str
    score: float
    runner_up: str
    runner_up_score: float
    example: str


class SemanticMatcher:
    """Callable fallback for :class:`~brainbody.brain.intent.IntentParser`.

    Args:
        catalogue: the skills and refusal examples.
        threshold: cosine similarity needed to accept (``BrainConfig.semantic_threshold``).
        margin: lead over the best other class (``BrainConfig.semantic_margin``).
        unsafe_threshold: a step nearest to an unsafe example is refused as unsafe from this
            similarity on (lower than ``threshold``: erring towards refusal costs nothing).
        encoder: the sentence encoder (default: the process-wide shared one).

    Raises:
        EmbeddingModelError: the model package is not installed.
    """

    layer = "semantic"

    def __init__(self, catalogue: SkillCatalogue, *, threshold: float = 0.62, margin: float = 0.03,
                 unsafe_threshold: float = 0.6, encoder: Optional[SentenceEncoder] = None):
        if not (0.0 <= threshold <= 1.0 and 0.0 <= margin <= 1.0):
            raise ValueError(f"threshold and margin must lie in [0, 1], got {threshold}, {margin}")
        self.catalogue = catalogue
        self.threshold, self.margin, self.unsafe_threshold = threshold, margin, unsafe_threshold
        self.encoder = encoder or shared_encoder()
        self._parser = IntentParser(catalogue)
        examples = [Example(text, name, tuple(sorted(b.items())))
                    for name, items in self._parser.phrase_examples().items() for text, b in items]
        for i, rule in enumerate(catalogue.language.unsafe):
            examples += [Example(text, f"{UNSAFE}:{i}") for text in rule.examples]
        examples += [Example(text, OUT_OF_SCOPE) for text in catalogue.language.out_of_scope]
        self.examples = tuple(examples)
        self._vectors = _cached_vectors(self.encoder, tuple(e.text for e in examples))
        self._labels = np.array([e.label for e in examples])
        self._verbs: dict[str, set[str]] = {}
        for skill in catalogue.skills.values():
            for verb in skill.verbs:
                self._verbs.setdefault(verb, set()).add(skill.name)
        # Objects a request must name for a skill: its grasped objects when every phrase names
        # one, else anything it references when every phrase names something.
        self._must_name: dict[str, frozenset[str]] = {}
        for name, items in self._parser.phrase_examples().items():
            skill = catalogue.skill(name)
            named = [{m.object_id for m in self._parser.mentions(_words(text))} for text, _ in items]
            grasped = set(skill.grasped_objects) - {""}
            if grasped and all(n & grasped for n in named):
                self._must_name[name] = frozenset(grasped)
            elif all(n & skill.references() for n in named):
                self._must_name[name] = skill.references()

    def candidates(self, content: tuple[str, ...], verb: str = "") -> Optional[set[str]]:
        """Skills allowed to compete for a step with these content words (None: all).

        ``verb`` is the opening word as said, before synonym mapping: a skill listing it
        competes too ("get" maps to "bring", yet "get a coffee going" is a coffee)."""
        found = [self._verbs[w] for w in ((content[0],) if content else ()) + ((verb,) if verb else ())
                 if w in self._verbs]
        return set().union(*found) if found else None

    def score(self, text: str, allowed: Optional[set[str]] = None) -> Scored:
        """Nearest class of ``text`` and the nearest other class; ``allowed`` limits the skills."""
        sims = self._vectors @ self.encoder.encode([text])[0]
        if allowed is not None:
            keep = np.array([not (label in self.catalogue.skills and label not in allowed)
                             for label in self._labels])
            sims = np.where(keep, sims, -1.0)
        best = int(np.argmax(sims))
        label = self._labels[best]
        others = np.where(self._labels != label, sims, -1.0)
        second = int(np.argmax(others))
        return Scored(str(label), float(sims[best]), str(self._labels[second]), float(others[second]),
                      self.examples[best].text)

    def __call__(self, query: SegmentQuery) -> SegmentMatch:
        """Understand one step or refuse; see the module docstring for the rule.

        Raises:
            UnsafeRequestError: the step is nearest to an unsafe example.
            UnknownIntentError: not confident, out of scope, or the named objects do not fit.
        """
        can = f"I can: {self.catalogue.capabilities()}"
        scored = self.score(query.text, self.candidates(query.content, query.verb))
        confident = scored.score >= self.threshold and scored.score - scored.runner_up_score >= self.margin
        log.debug("semantic %r -> %s", query.text, scored)
        if scored.label.startswith(UNSAFE) and scored.score >= self.unsafe_threshold:
            rule = self.catalogue.language.unsafe[int(scored.label.split(":")[1])]
            raise UnsafeRequestError(f"refusing {query.request!r}: it reads like {scored.example!r} "
                                     f"(similarity {scored.score:.2f}) and {rule.reason}")
        if not confident or scored.label == OUT_OF_SCOPE:
            why = (f"it is closest to {scored.example!r}, which I cannot do"
                   if scored.label == OUT_OF_SCOPE and confident else
                   f"nearest is {_label(scored.label)} ({scored.example!r}, similarity {scored.score:.2f}; "
                   f"needs {self.threshold:.2f} and a lead of {self.margin:.2f} over "
                   f"{_label(scored.runner_up)} at {scored.runner_up_score:.2f})")
            raise UnknownIntentError(f"I do not understand {query.text!r}: {why}; {can}")
        skill = self.catalogue.skill(scored.label)
        bindings = self._bind(skill.name, query, can)
        return SegmentMatch(skill=skill.name, bindings=bindings, confidence=scored.score, layer=self.layer)

    def _bind(self, name: str, query: SegmentQuery, can: str) -> dict[str, str]:
        skill = self.catalogue.skill(name)
        refs = skill.references()
        for mention in query.mentions:
            if mention.object_id not in refs:
                raise UnknownIntentError(
                    f"{query.text!r} looks like {name} but names {mention.object_id!r}, which "
                    f"{name} does not use; {can}")
            graspable = self.catalogue.objects[mention.object_id].max_grip_force_n > 0
            if graspable and mention.after_preposition:
                raise UnknownIntentError(f"{query.text!r}: {mention.object_id!r} is not a place to "
                                         f"put things on; {can}")
        named = {m.object_id for m in query.mentions}
        context = set(skill.may_mention) - _acted_on(skill)
        verb = query.content[0] if query.content else ""
        if named and named <= context and verb not in skill.verbs and query.verb not in skill.verbs:
            raise UnknownIntentError(
                f"{query.text!r} names only {', '.join(sorted(named))}, which {name} does not act "
                f"on, and does not ask to {' or '.join(skill.verbs) or name}; {can}")
        must = self._must_name.get(name)
        if must and not any(m.object_id in must for m in query.mentions):
            raise UnknownIntentError(f"{query.text!r} looks like {name} but does not name "
                                     f"{' or '.join(sorted(must))}; {can}")
        bindings = {}
        for param, allowed in skill.params.items():
            named = sorted({m.object_id for m in query.mentions if m.object_id in allowed})
            if len(named) != 1:
                raise UnknownIntentError(
                    f"{query.text!r} looks like {name}, which needs one {param} "
                    f"({', '.join(allowed)}); I found {', '.join(named) or 'none'}")
            bindings[param] = named[0]
        return bindings


def _acted_on(skill) -> set[str]:
    """Objects and places the skill's steps or parameters name (not its ``may_mention``)."""
    return {r for s in skill.steps for r in (s.object_id, s.target_id) if r and not r.startswith("{")} | \
        {v for values in skill.params.values() for v in values}


def _label(label: str) -> str:
    return "an unsafe request" if label.startswith(UNSAFE) else \
        "a request I cannot do" if label == OUT_OF_SCOPE else label


_CACHE: dict[tuple[int, tuple[str, ...]], np.ndarray] = {}


def _cached_vectors(encoder: SentenceEncoder, texts: tuple[str, ...]) -> np.ndarray:
    # Matchers are rebuilt per plan in some callers; the examples embed once per process.
    key = (id(encoder), texts)
    if key not in _CACHE:
        _CACHE[key] = encoder.encode(texts)
    return _CACHE[key]
