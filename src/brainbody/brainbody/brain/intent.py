"""The offline, deterministic intent parser: text in, :class:`IntentMatch` out.

Pipeline (all vocabulary comes from the skill catalogue, none is hard-coded here):

1. reject non-strings, empty and over-long text;
2. lower-case, tokenise; read phrasal verbs as the word they mean ("switch the machine on"
   -> "start the machine", "drop off the cup" -> "put the cup", see :meth:`IntentParser.
   _read_phrasal_verbs`); refuse at once if any unsafe word remains (``crush``, ``throw``,
   ``drop``...) or a negation occurs ("don't", "never": the robot acts only on what to do);
3. take out an explicit grip force ("with 2 N", "2.5 newtons") and bound it;
4. split into steps at separators ("and then", "then", commas);
5. in each step resolve "it" to the object of the previous step, drop filler words and
   articles, take out modifier words ("gently"), map synonyms; the rest must *equal* a
   catalogue phrase treated the same way, where ``{place}`` in a phrase stands for any
   word naming one of the objects the skill's parameter allows (that is the binding);
6. a step that equals no phrase goes to the ``fallback`` layer when one is given (the
   offline semantic matcher, :mod:`brainbody.brain.semantic_matcher`), else it is refused.

Exact equality (rather than keyword spotting) is deliberate: "press the cup", "bring me
the button" and "put the tray on the cup" must be refused, not guessed at; the fallback
layer checks the objects a step mentions against the skill it picks for the same reason.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import re
import unicodedata
from typing import Callable, Iterable, Mapping, Optional, Sequence

from brainbody.brain.skills import SkillCatalogue, SkillCatalogueError
from brainbody.exceptions import (ForceLimitError, OutOfRangeError, UnknownIntentError,
                                  UnsafeRequestError)

log = logging.getLogger(__name__)

MAX_INTENT_CHARS = 500
"""Longest accepted intent text; longer input is refused rather than parsed."""

# "with 2 N", "at 2.5 newtons", "using a force of 2 N", "2n". The look-behind keeps a
# minus sign or a digit group ("1,5 N") from being read as a smaller positive force.
_FORCE = re.compile(
    r"(?:\b(?:with|at|using|applying)\s+)?(?:(?:a\s+)?(?:grip\s+)?force\s+of\s+)?"
    r"(?<![\w.,\-])(\d+(?:\.\d*)?|\.\d+)\s*(?:n|newtons?)\b(?:\s+of\s+(?:grip\s+)?force)?")
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[^\W\d_]+|[,;.!?:]")
_PUNCTUATION = frozenset(",;.!?:")
_SPLIT = ("|",)  # marker token standing for a step boundary


@dataclasses.dataclass(frozen=True)
class IntentMatch:
    """What a request asks for.

    Attributes:
        text: the request as received (stripped).
        skills: catalogue skill names in execution order.
        modifiers: catalogue modifier names that were asked for, e.g. ``("gentle",)``.
        grip_force_n: explicit grip force in newtons, or None for the catalogue's.
        bindings: per skill, its parameter bindings (e.g. ``{"place": "tray"}``); empty
            mappings when not given.
        layers: per skill, which layer understood it: ``parser``, ``semantic`` or ``llm``.
        confidence: lowest confidence over the steps (1.0 for exact parser matches,
            the cosine similarity for semantic ones).
    """

    text: str
    skills: tuple[str, ...]
    modifiers: tuple[str, ...] = ()
    grip_force_n: Optional[float] = None
    bindings: tuple[Mapping[str, str], ...] = ()
    layers: tuple[str, ...] = ()
    confidence: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "skills", tuple(self.skills))
        object.__setattr__(self, "modifiers", tuple(self.modifiers))
        bindings = tuple(dict(b) for b in self.bindings) or tuple({} for _ in self.skills)
        layers = tuple(self.layers) or tuple("parser" for _ in self.skills)
        if len(bindings) != len(self.skills) or len(layers) != len(self.skills):
            raise ValueError("bindings and layers need one entry per skill")
        object.__setattr__(self, "bindings", bindings)
        object.__setattr__(self, "layers", layers)
        if not self.skills or not all(isinstance(s, str) and s for s in self.skills):
            raise ValueError(f"an IntentMatch needs at least one skill name, got {self.skills!r}")
        force_n = self.grip_force_n
        if force_n is not None and not (
                isinstance(force_n, (int, float)) and not isinstance(force_n, bool)
                and math.isfinite(force_n) and force_n > 0):
            raise ValueError(f"grip_force_n must be a finite number > 0 N, got {force_n!r}")

    @property
    def gentle(self) -> bool:
        """True when the request asked for the ``gentle`` modifier."""
        return "gentle" in self.modifiers


@dataclasses.dataclass(frozen=True)
class Mention:
    """An object or place named in a step: its id, where, and whether a destination
    preposition ("on", "to", "under"...) came right before it."""

    object_id: str
    index: int
    after_preposition: bool


@dataclasses.dataclass(frozen=True)
class SegmentQuery:
    """One step the parser could not match exactly, handed to the fallback layer.

    Attributes:
        text: the step's words as said (pronouns resolved, modifiers and forces removed).
        content: its content words after filler removal and synonym mapping.
        mentions: objects and places it names, in order.
        request: the whole request, for messages.
    """

    text: str
    content: tuple[str, ...]
    mentions: tuple[Mention, ...]
    request: str
    verb: str = ""
    """The step's first content word as said, before synonym mapping ("get" where
    ``content`` has "bring")."""


@dataclasses.dataclass(frozen=True)
class SegmentMatch:
    """What a fallback layer understood one step as."""

    skill: str
    bindings: Mapping[str, str]
    confidence: float
    layer: str


Fallback = Callable[[SegmentQuery], SegmentMatch]
"""A layer asked about steps the parser cannot match; it returns a match or raises
UnknownIntentError / UnsafeRequestError."""

class NegatedIntentError(UnknownIntentError):
    """The request says what not to do, or to stop ("don't press the button"): refused by
    every layer, since dropping the negation would do the opposite of what was asked."""


DESTINATION_WORDS = frozenset({"on", "to", "into", "in", "under", "at", "onto", "toward", "towards",
                               "beside", "near"})


class IntentParser:
    """Parses intent text against one catalogue; build once, call :meth:`parse` often.

    Raises:
        SkillCatalogueError: two skills share a phrase, or a phrase can never match
            (it is empty, contains a separator, a modifier or an unsafe word).
    """

    def __init__(self, catalogue: SkillCatalogue, *, fallback: Optional[Fallback] = None):
        if not isinstance(catalogue, SkillCatalogue):
            raise TypeError(f"catalogue must be a SkillCatalogue, got {type(catalogue).__name__}")
        self.catalogue = catalogue
        self.fallback = fallback
        lang = catalogue.language
        self._filler = _sequences(lang.filler)
        self._separators = _sequences(lang.separators)
        self._synonyms = dict(lang.synonyms)
        self._modifiers = sorted(((_words(w), name) for name, m in catalogue.modifiers.items()
                                  for w in m.words), key=lambda item: -len(item[0]))
        self._unsafe_words: dict[str, str] = {}
        self._unsafe_phrases: list[tuple[tuple[str, ...], str]] = []
        for rule in lang.unsafe:
            for word in rule.words:
                tokens = _words(word)
                if len(tokens) == 1:
                    self._unsafe_words.update(dict.fromkeys(_inflections(tokens[0]), rule.reason))
                else:
                    self._unsafe_phrases.append((tokens, rule.reason))
        # Largest force any grasp may use: an explicit force above it is refused even
        # when the rest of the sentence is not understood ("grip the cup with 50 N").
        self._force_ceiling_n = max((o.max_grip_force_n for o in catalogue.objects.values()),
                                    default=0.0)
        self._pronouns = frozenset(t for p in lang.pronouns for t in _words(p))
        # Object words after the same treatment as a request, longest first.
        self._object_words = sorted(
            ((key, oid) for oid, obj in catalogue.objects.items() for w in obj.words
             if (key := self._content(_words(w))[0])), key=lambda item: -len(item[0]))
        graspable = [oid for oid, o in catalogue.objects.items() if o.max_grip_force_n > 0]
        self._default_referent = graspable[0] if len(graspable) == 1 else ""
        self._graspable_words = [words for words, oid in self._object_words if oid in graspable]
        self._articles = frozenset(w[0] for w in self._filler if len(w) == 1)
        self._negations = _sequences(lang.negations)
        # (verb, particle, meaning, guarded): a phrasal verb whose verb is an unsafe word
        # ("drop off") is only read as such when it acts on something the robot may carry.
        self._phrasal: list[tuple[str, str, tuple[str, ...], bool]] = []
        for phrase, meaning in lang.phrasal_verbs.items():
            words = _words(phrase)
            if len(words) != 2 or not _words(meaning):
                raise SkillCatalogueError(f"{catalogue.source}: language.phrasal_verbs: {phrase!r} "
                                          f"must be a verb and a particle meaning one word")
            self._phrasal.append((words[0], words[1], _words(meaning), bool(
                self._unsafe_reason(words[:1]))))
        self._phrases = self._index_phrases()

    def _index_phrases(self) -> dict[tuple[str, ...], tuple[str, tuple[tuple[str, str], ...]]]:
        """Content key -> (skill, bindings); ``{param}`` phrases expand over the words of
        every object the parameter allows."""
        index: dict[tuple[str, ...], tuple[str, tuple[tuple[str, str], ...]]] = {}
        for skill in self.catalogue.skills.values():
            for phrase in skill.phrases:
                where = f"{self.catalogue.source}: skills.{skill.name}.phrases: {phrase!r}"
                for concrete, bindings in self._expand(phrase, skill.params):
                    tokens = self._read_phrasal_verbs(_tokens(concrete))
                    if self._unsafe_reason(tokens):
                        raise SkillCatalogueError(f"{where} contains an unsafe word")
                    if self._negation(tokens):
                        raise SkillCatalogueError(f"{where} contains a negation")
                    segments = self._segments(tokens)
                    if len(segments) != 1:
                        raise SkillCatalogueError(f"{where} is empty or contains a separator")
                    key, modifiers = self._content(segments[0])
                    if modifiers or not key:
                        raise SkillCatalogueError(f"{where} is empty or contains a modifier word")
                    entry = (skill.name, bindings)
                    if index.get(key, entry) != entry:
                        raise SkillCatalogueError(f"{where} also matches skill {index[key][0]!r}")
                    index[key] = entry
        return index

    def _expand(self, phrase: str, params: Mapping[str, Sequence[str]]):
        slots = re.findall(r"\{(\w+)\}", phrase)
        if not slots:
            yield phrase, ()
            return
        slot, rest = slots[0], phrase
        for oid in params[slot]:
            for word in self.catalogue.objects[oid].words:
                for concrete, bindings in self._expand(rest.replace(f"{{{slot}}}", word, 1), params):
                    yield concrete, ((slot, oid),) + bindings

    def phrase_examples(self) -> dict[str, list[tuple[str, dict[str, str]]]]:
        """Skill -> its catalogue phrases with each ``{param}`` filled by the first word of
        every allowed object (what the semantic matcher embeds)."""
        out: dict[str, list[tuple[str, dict[str, str]]]] = {}
        for skill in self.catalogue.skills.values():
            for phrase in skill.phrases:
                slots = re.findall(r"\{(\w+)\}", phrase)
                if not slots:
                    out.setdefault(skill.name, []).append((phrase, {}))
                    continue
                for oid in skill.params[slots[0]]:
                    text = phrase.replace(f"{{{slots[0]}}}", "the " + self.catalogue.objects[oid].words[0])
                    out.setdefault(skill.name, []).append((text, {slots[0]: oid}))
        return out

    def mentions(self, segment: Sequence[str]) -> tuple[Mention, ...]:
        """Objects and places named in a step's words (synonyms mapped), in order."""
        tokens = [self._synonyms.get(t, t) for t in segment]
        found, i = [], 0
        while i < len(tokens):
            for words, oid in self._object_words:
                if tuple(tokens[i:i + len(words)]) == words:
                    before = [t for t in tokens[max(0, i - 2):i] if t not in ("the", "a", "an", "my")]
                    found.append(Mention(oid, i, bool(before) and before[-1] in DESTINATION_WORDS))
                    i += len(words)
                    break
            else:
                i += 1
        return tuple(found)

    def parse(self, text: object) -> IntentMatch:
        """Parse ``text`` into an :class:`IntentMatch`.

        Raises:
            UnknownIntentError: text is not a string, empty, longer than
                :data:`MAX_INTENT_CHARS`, or (part of it) matches no skill; the message
                lists what the brain can do.
            UnsafeRequestError: the text asks to crush, throw, drop, spill... (the
                message gives the word and the reason).
            ForceLimitError: an explicit grip force exceeds the limit of an object the
                plan would grasp.
            OutOfRangeError: an explicit grip force is zero.
        """
        can = f"I can: {self.catalogue.capabilities()}"
        if not isinstance(text, str):
            raise UnknownIntentError(f"intent must be text, got {type(text).__name__}; {can}")
        if len(text) > MAX_INTENT_CHARS:  # checked before any work on the text
            raise UnknownIntentError(f"intent text is {len(text)} characters long; the limit is "
                                     f"{MAX_INTENT_CHARS}")
        text = text.strip()
        if not text:
            raise UnknownIntentError(f"intent text is empty; {can}")
        normal = _normalise(text)
        tokens = self._read_phrasal_verbs(_tokens(normal))
        unsafe = self._unsafe_reason(tokens)
        if unsafe:
            word, reason = unsafe
            raise UnsafeRequestError(f"refusing {text!r}: {word!r} is not allowed because {reason}")
        negation = self._negation(tokens)
        if negation:
            raise NegatedIntentError(
                f"refusing {text!r}: {negation!r} says what not to do or to stop, and I only act on "
                f"what to do (a running task is stopped by cancelling it); {can}")
        grip_force_n = self._explicit_force(normal, text)

        skills: list[str] = []
        bindings: list[dict[str, str]] = []
        layers: list[str] = []
        confidence = 1.0
        modifiers: set[str] = set()
        referent = self._default_referent
        for segment in self._segments(self._read_phrasal_verbs(_tokens(_FORCE.sub(" ", normal)))):
            segment = self._resolve_pronouns(segment, referent, text)
            key, found = self._content(segment)
            modifiers |= found
            if not key:
                continue  # only politeness or a modifier: "please", "gently"
            if key in self._phrases:
                name, bound = self._phrases[key]
                bound, layer = dict(bound), "parser"
            else:
                part = " ".join(segment)
                if self.fallback is None:
                    where = "" if part == " ".join(_words(text)) else f" in {text!r}"
                    raise UnknownIntentError(f"I do not understand {part!r}{where}; {can}")
                said = _replace(self._strip_modifiers(segment), self._filler, ())
                hit = self.fallback(SegmentQuery(
                    text=" ".join(self._strip_modifiers(segment)), content=key,
                    mentions=self.mentions(segment), request=text, verb=said[0] if said else ""))
                name, bound, layer = hit.skill, dict(hit.bindings), hit.layer
                confidence = min(confidence, hit.confidence)
            if skills and skills[-1] == name and bindings[-1] == bound and "semantic" in (layer, layers[-1]):
                # "I need caffeine, make a coffee": a loosely understood step restating its
                # neighbour is one request, not two coffees.
                layers[-1] = "parser" if "parser" in (layer, layers[-1]) else layer
                continue
            skills.append(name)
            bindings.append(bound)
            layers.append(layer)
            skill = self.catalogue.skill(name)
            grasped = [bound.get(o[1:-1], o) if o.startswith("{") else o for o in skill.grasped_objects]
            referent = grasped[-1] if grasped else referent
        if not skills:
            raise UnknownIntentError(f"{text!r} asks for nothing I can do; {can}")
        if grip_force_n is not None:
            self._check_force(grip_force_n, skills, text)
        match = IntentMatch(text=text, skills=tuple(skills), modifiers=tuple(sorted(modifiers)),
                            grip_force_n=grip_force_n, bindings=tuple(bindings), layers=tuple(layers),
                            confidence=confidence)
        log.debug("parsed %r -> %s", text, match)
        return match

    # -- steps of the pipeline

    def _resolve_pronouns(self, segment: list[str], referent: str, text: str) -> list[str]:
        if not any(t in self._pronouns for t in segment):
            return segment
        if not referent:
            raise UnknownIntentError(f"in {text!r} I cannot tell what "
                                     f"{next(t for t in segment if t in self._pronouns)!r} refers to")
        word = _words(self.catalogue.objects[referent].words[0])
        return [w for t in segment for w in (word if t in self._pronouns else (t,))]

    def _strip_modifiers(self, segment: Sequence[str]) -> list[str]:
        tokens = list(segment)
        for words, _ in self._modifiers:
            while (at := _find(tokens, words)) >= 0:
                del tokens[at:at + len(words)]
        return tokens

    def _unsafe_reason(self, tokens: Sequence[str]) -> Optional[tuple[str, str]]:
        for token in tokens:
            if token in self._unsafe_words:
                return token, self._unsafe_words[token]
        for phrase, reason in self._unsafe_phrases:
            if _find(tokens, phrase) >= 0:
                return " ".join(phrase), reason
        return None

    def _negation(self, tokens: Sequence[str]) -> str:
        for words in self._negations:
            if _find(tokens, words) >= 0:
                return " ".join(words)
        return ""

    def _read_phrasal_verbs(self, tokens: Sequence[str]) -> list[str]:
        """Replace each phrasal verb by the word it means, e.g. with ``"drop off": put``:

        - "drop off the cup at the tray", "drop the cup off at the tray", "drop it off"
          -> "put the cup at the tray", "put the cup at the tray", "put it";
        - the particle may follow the verb or come after an object of up to four words,
          and then must end the step or come before a destination word ("at", "on"...):
          "switch the coffee machine on" -> "start the coffee machine";
        - a verb that is an unsafe word is read as a phrasal verb only when its object is
          something the robot carries (or "it"), or a destination follows the particle:
          "drop the cup off the table" and "drop off the table" keep their "drop".
        """
        out, i = list(tokens), 0
        while i < len(out):
            for verb, particle, meaning, guarded in self._phrasal:
                if out[i] != verb:
                    continue
                if i + 1 < len(out) and out[i + 1] == particle and (
                        not guarded or self._carried_or_destination(out, i + 2)):
                    out[i:i + 2] = meaning
                    break
                j = next((j for j in range(i + 2, min(i + 6, len(out)))
                          if out[j] == particle or self._ends_step(out, j)), None)
                if j is None or out[j] != particle or not (
                        self._ends_step(out, j + 1) or out[j + 1] in DESTINATION_WORDS):
                    continue
                if guarded and not self._is_carried(out[i + 1:j]):
                    continue
                out[i:j + 1] = list(meaning) + out[i + 1:j]
                break
            i += 1
        return out

    def _ends_step(self, tokens: Sequence[str], at: int) -> bool:
        return at >= len(tokens) or tokens[at] in _PUNCTUATION or any(
            tuple(tokens[at:at + len(words)]) == words for words in self._separators)

    def _is_carried(self, words: Sequence[str]) -> bool:
        """``words`` are articles then something graspable or a pronoun: "my mug", "it"."""
        rest = [self._synonyms.get(t, t) for t in words if t not in self._articles]
        return (len(rest) == 1 and rest[0] in self._pronouns) or tuple(rest) in self._graspable_words

    def _carried_or_destination(self, tokens: Sequence[str], at: int) -> bool:
        while at < len(tokens) and tokens[at] in self._articles:
            at += 1
        if self._ends_step(tokens, at) or tokens[at] in DESTINATION_WORDS or tokens[at] in self._pronouns:
            return True
        mapped = [self._synonyms.get(t, t) for t in tokens[at:]]
        return any(tuple(mapped[:len(words)]) == words for words in self._graspable_words)

    def _explicit_force(self, normal: str, text: str) -> Optional[float]:
        forces = {float(m.group(1)) for m in _FORCE.finditer(normal)}
        if not forces:
            return None
        if len(forces) > 1:
            raise UnknownIntentError(
                f"{text!r} states {len(forces)} different grip forces; give one")
        force_n = forces.pop()
        if force_n <= 0.0:
            raise OutOfRangeError(f"refusing {text!r}: a grip force of {force_n:g} N would not "
                                  f"hold anything; give a force above 0 N")
        if force_n > self._force_ceiling_n:
            raise ForceLimitError(f"refusing {text!r}: {force_n:g} N exceeds the largest grip "
                                  f"force any object allows ({self._force_ceiling_n:g} N)")
        return force_n

    def _check_force(self, force_n: float, skills: Iterable[str], text: str) -> None:
        grasped = {oid for name in skills for oid in self.catalogue.skill(name).grasped_objects}
        if not grasped:
            raise UnknownIntentError(f"{text!r} gives a grip force but grasps nothing")
        for oid in sorted(grasped):
            limit = self.catalogue.grip_limit_n(oid)
            if force_n > limit:
                raise ForceLimitError(f"refusing {text!r}: {force_n:g} N exceeds the "
                                      f"{limit:g} N limit of {oid!r}")

    def _segments(self, tokens: Sequence[str]) -> list[list[str]]:
        """Split at punctuation and separators; empty steps are dropped."""
        marked = [_SPLIT[0] if t in _PUNCTUATION else t for t in tokens]
        marked = _replace(marked, self._separators, _SPLIT)
        segments, current = [], []
        for token in marked + [_SPLIT[0]]:
            if token == _SPLIT[0]:
                if current:
                    segments.append(current)
                current = []
            else:
                current.append(token)
        return segments

    def _content(self, segment: Sequence[str]) -> tuple[tuple[str, ...], set[str]]:
        """Return the segment's content words (fillers dropped, synonyms mapped) and modifiers."""
        tokens, modifiers = list(segment), set()
        for words, name in self._modifiers:
            while (at := _find(tokens, words)) >= 0:
                del tokens[at:at + len(words)]
                modifiers.add(name)
        tokens = _replace(tokens, self._filler, ())
        return tuple(self._synonyms.get(t, t) for t in tokens), modifiers


def parse(text: object, catalogue: SkillCatalogue) -> IntentMatch:
    """Parse ``text`` against ``catalogue``; see :meth:`IntentParser.parse` for what it raises."""
    return IntentParser(catalogue).parse(text)


# ---------------------------------------------------------------------------- text helpers

def _normalise(text: str) -> str:
    # NFKC folds full-width letters and digits; apostrophes vanish so "I'd" == "id".
    text = unicodedata.normalize("NFKC", text).casefold()
    return text.replace("'", "").replace("\u2019", "").replace("_", " ")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(_normalise(text))


def _words(text: str) -> tuple[str, ...]:
    return tuple(t for t in _tokens(text) if t not in _PUNCTUATION)


def _sequences(phrases: Iterable[str]) -> list[tuple[str, ...]]:
    """Token sequences, longest first so "and then" wins over "and"."""
    return sorted({w for w in map(_words, phrases) if w}, key=lambda w: -len(w))


def _find(tokens: Sequence[str], words: tuple[str, ...]) -> int:
    n = len(words)
    for i in range(len(tokens) - n + 1):
        if tuple(tokens[i:i + n]) == words:
            return i
    return -1


def _replace(tokens: Sequence[str], sequences: list[tuple[str, ...]],
             replacement: tuple[str, ...]) -> list[str]:
    """Replace every occurrence of any of ``sequences`` (longest first) by ``replacement``."""
    out, i = [], 0
    while i < len(tokens):
        for words in sequences:
            if tuple(tokens[i:i + len(words)]) == words:
                out.extend(replacement)
                i += len(words)
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def _inflections(word: str) -> set[str]:
    """Regular English forms of ``word``: crush -> crushes, crushed, crushing, drop -> dropped."""
    forms = {word, word + "s", word + "es", word + "ed", word + "d", word + "ing", word + "er",
             word + "est"}
    if word.endswith("e"):
        forms.add(word[:-1] + "ing")
    if len(word) >= 3 and word[-1] not in "aeiouwxy" and word[-2] in "aeiou" \
            and word[-3] not in "aeiou":
        forms |= {word + word[-1] + "ed", word + word[-1] + "ing", word + word[-1] + "er"}
    return forms
