"""The skill catalogue: what the brain can do, loaded from ``config/skills.yaml``.

The YAML is parsed into frozen dataclasses that validate themselves on construction.
Recipe steps are stored fully resolved (catalogue defaults already applied), so the
planner only copies them and applies modifiers. Every error names the file and the key
path of the offending entry, e.g. ``skills.yaml: skills.make_coffee.steps[2]: ...``.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import os
import pathlib
import re
import types
from typing import Any, Mapping, NoReturn, Optional

import yaml

from brainbody.exceptions import (BrainBodyError, ErrorCode, InvalidPrimitiveError,
                                  UnknownIntentError)
from brainbody.primitives import PrimitiveKind, TaskPrimitive

log = logging.getLogger(__name__)

SKILLS_FILE = "skills.yaml"
CONFIG_DIR_ENV = "BRAINBODY_CONFIG_DIR"
SCHEMA_VERSION = 1

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class SkillCatalogueError(BrainBodyError, ValueError):
    """The skill catalogue is missing or malformed; the message names the file and key.

    A system error (the robot's configuration is broken), not a user's request error.
    """

    code = ErrorCode.INTERNAL


# ---------------------------------------------------------------------------- dataclasses

@dataclasses.dataclass(frozen=True)
class Step:
    """One recipe step: a primitive template without an id (SI units as in TaskPrimitive).

    Raises:
        InvalidPrimitiveError: the step would not make a structurally valid primitive.
    """

    kind: PrimitiveKind
    object_id: str = ""
    target_id: str = ""
    grip_force_n: float = 0.0
    lift_height_m: float = 0.0
    max_speed_mps: float = 0.0
    duration_s: float = 0.0
    timeout_s: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", PrimitiveKind.parse(self.kind))
        self.to_primitive("step").check()  # same schema as the body, so they cannot drift

    def to_primitive(self, primitive_id: str) -> TaskPrimitive:
        """Return the primitive this step describes, named ``primitive_id``."""
        return TaskPrimitive(
            id=primitive_id, kind=self.kind, object_id=self.object_id, target_id=self.target_id,
            grip_force_n=self.grip_force_n, lift_height_m=self.lift_height_m,
            max_speed_mps=self.max_speed_mps, duration_s=self.duration_s,
            timeout_s=self.timeout_s)


@dataclasses.dataclass(frozen=True)
class Skill:
    """A named recipe and the phrases that ask for it."""

    name: str
    description: str
    phrases: tuple[str, ...]
    steps: tuple[Step, ...]
    params: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    """Parameter name -> the object/place ids it may bind to. Phrases name a parameter as
    ``{place}``; steps as ``object``/``target`` ``"{place}"``."""
    verbs: tuple[str, ...] = ()
    """Words that, opening a request, commit the semantic layer to this skill's family."""
    may_mention: tuple[str, ...] = ()
    """Objects a request for this skill may name besides those its steps use ("press the
    button on the coffee machine")."""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ValueError(f"skill name must be lower_snake_case, got {self.name!r}")
        object.__setattr__(self, "phrases", tuple(self.phrases))
        object.__setattr__(self, "steps", tuple(self.steps))
        object.__setattr__(self, "verbs", tuple(self.verbs))
        object.__setattr__(self, "may_mention", tuple(self.may_mention))
        object.__setattr__(self, "params", types.MappingProxyType(
            {k: tuple(v) for k, v in dict(self.params).items()}))
        for step in self.steps if isinstance(self.steps, tuple) else ():
            for ref in (getattr(step, "object_id", ""), getattr(step, "target_id", "")):
                if is_placeholder(ref) and ref[1:-1] not in self.params:
                    raise ValueError(f"skill {self.name!r} uses {ref} but declares no such parameter")
        if not self.phrases or not all(isinstance(p, str) and p.strip() for p in self.phrases):
            raise ValueError(f"skill {self.name!r} needs at least one non-empty phrase")
        if not self.steps or not all(isinstance(s, Step) for s in self.steps):
            raise ValueError(f"skill {self.name!r} needs at least one Step")

    @property
    def grasped_objects(self) -> tuple[str, ...]:
        """Ids of the objects this recipe grasps, in order of first grasp."""
        return tuple(dict.fromkeys(
            s.object_id for s in self.steps if s.kind is PrimitiveKind.GRASP))

    def references(self) -> frozenset[str]:
        """Every object and place id the recipe may name, parameter values included."""
        refs = {r for s in self.steps for r in (s.object_id, s.target_id) if r and not is_placeholder(r)}
        return frozenset(refs | {v for values in self.params.values() for v in values}
                         | set(self.may_mention))

    def bound_steps(self, bindings: Mapping[str, str]) -> tuple[Step, ...]:
        """The steps with every ``{param}`` replaced by its binding.

        Raises:
            UnknownIntentError: a parameter has no binding or one it does not allow.
        """
        for name, allowed in self.params.items():
            if bindings.get(name) not in allowed:
                raise UnknownIntentError(
                    f"{self.name} needs {name} to be one of {', '.join(allowed)}; "
                    f"got {bindings.get(name)!r}")
        def bind(ref: str) -> str:
            return bindings[ref[1:-1]] if is_placeholder(ref) else ref
        return tuple(dataclasses.replace(s, object_id=bind(s.object_id), target_id=bind(s.target_id))
                     for s in self.steps)


def is_placeholder(ref: str) -> bool:
    """``{place}``: a recipe parameter rather than an object id."""
    return isinstance(ref, str) and len(ref) > 2 and ref[0] == "{" and ref[-1] == "}"


@dataclasses.dataclass(frozen=True)
class KnownObject:
    """An object or place recipes may name; ``max_grip_force_n`` 0 means never grasp it."""

    id: str
    description: str = ""
    max_grip_force_n: float = 0.0
    words: tuple[str, ...] = ()
    """What people call it ("coffee machine", "spout"); the id with spaces is always one."""

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _NAME.match(self.id):
            raise ValueError(f"object id must be lower_snake_case, got {self.id!r}")
        _check_number(self.max_grip_force_n, f"object {self.id!r} max_grip_force_n")
        words = tuple(self.words) + (self.id.replace("_", " "),)
        object.__setattr__(self, "words", tuple(dict.fromkeys(words)))


@dataclasses.dataclass(frozen=True)
class Modifier:
    """Words that cap primitive fields, e.g. ``gentle`` caps grip force and speed."""

    name: str
    words: tuple[str, ...]
    grip_force_n: Optional[float] = None
    max_speed_mps: Optional[float] = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "words", tuple(self.words))
        if not self.words:
            raise ValueError(f"modifier {self.name!r} needs at least one word")
        for field in ("grip_force_n", "max_speed_mps"):
            value = getattr(self, field)
            if value is not None:
                _check_number(value, f"modifier {self.name!r} {field}", positive=True)

    def caps(self) -> dict[str, float]:
        """Primitive field name -> upper bound this modifier imposes."""
        return {f: v for f in ("grip_force_n", "max_speed_mps")
                if (v := getattr(self, f)) is not None}


@dataclasses.dataclass(frozen=True)
class UnsafeRule:
    """Words that make a request unsafe, and the reason given to the user."""

    words: tuple[str, ...]
    reason: str
    examples: tuple[str, ...] = ()
    """Whole requests of this kind, for the semantic matcher's refusal classes."""


@dataclasses.dataclass(frozen=True)
class Language:
    """Vocabulary for the intent parser; ``synonyms`` maps an alternative to its canonical word."""

    filler: tuple[str, ...] = ()
    separators: tuple[str, ...] = ()
    synonyms: Mapping[str, str] = dataclasses.field(default_factory=dict)
    unsafe: tuple[UnsafeRule, ...] = ()
    pronouns: tuple[str, ...] = ()
    """Words that refer back to the object of the previous step ("bring it to the tray")."""
    out_of_scope: tuple[str, ...] = ()
    """Example requests the robot cannot do; the semantic matcher refuses near them."""
    phrasal_verbs: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """"verb particle" -> the word it means here ("switch on" -> start, "drop off" -> put);
    see :mod:`brainbody.brain.intent` for where the particle may stand."""
    negations: tuple[str, ...] = ()
    """Words that say what *not* to do ("don't", "never", "stop"): such requests are refused."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "synonyms", types.MappingProxyType(dict(self.synonyms)))
        object.__setattr__(self, "phrasal_verbs", types.MappingProxyType(dict(self.phrasal_verbs)))
        for phrase, meaning in self.phrasal_verbs.items():
            if not isinstance(phrase, str) or len(phrase.split()) != 2:
                raise ValueError(f"phrasal verb {phrase!r} must be two words, a verb and a particle")
            if not isinstance(meaning, str) or len(meaning.split()) != 1:
                raise ValueError(f"phrasal verb {phrase!r} must mean one word, got {meaning!r}")
        chained = sorted(set(self.synonyms) & set(self.synonyms.values()))
        if chained:
            raise ValueError(f"synonyms {chained} are both canonical words and alternatives")


@dataclasses.dataclass(frozen=True)
class SkillCatalogue:
    """Everything the brain knows how to do; cross-references are checked on construction.

    Raises:
        SkillCatalogueError: a step names an unknown object, or grasps above its limit.
    """

    skills: Mapping[str, Skill]
    objects: Mapping[str, KnownObject]
    modifiers: Mapping[str, Modifier] = dataclasses.field(default_factory=dict)
    language: Language = Language()
    source: str = "<memory>"

    def __post_init__(self) -> None:
        for name in ("skills", "objects", "modifiers"):
            object.__setattr__(self, name, types.MappingProxyType(dict(getattr(self, name))))
        if not self.skills:
            raise SkillCatalogueError(f"{self.source}: the catalogue defines no skills")
        for skill in self.skills.values():
            for ref in skill.may_mention:
                if ref not in self.objects:
                    raise SkillCatalogueError(f"{self.source}: skills.{skill.name}.may_mention: "
                                              f"unknown object {ref!r}")
            for name, values in skill.params.items():
                for ref in values:
                    if ref not in self.objects:
                        raise SkillCatalogueError(
                            f"{self.source}: skills.{skill.name}.params.{name}: unknown object "
                            f"{ref!r}; declared: {', '.join(self.objects)}")
            for i, step in enumerate(skill.steps):
                where = f"{self.source}: skills.{skill.name}.steps[{i}]"
                for ref in (step.object_id, step.target_id):
                    if ref and not is_placeholder(ref) and ref not in self.objects:
                        raise SkillCatalogueError(
                            f"{where}: unknown object {ref!r}; declared: {', '.join(self.objects)}")
                if step.kind is PrimitiveKind.GRASP and not is_placeholder(step.object_id):
                    limit = self.objects[step.object_id].max_grip_force_n
                    if step.grip_force_n > limit:
                        raise SkillCatalogueError(
                            f"{where}: grip_force_n {step.grip_force_n} N exceeds the "
                            f"max_grip_force_n {limit} N of {step.object_id!r}")

    def skill(self, name: str) -> Skill:
        """Return the skill called ``name``.

        Raises:
            UnknownIntentError: no such skill.
        """
        try:
            return self.skills[name]
        except (KeyError, TypeError):
            raise UnknownIntentError(
                f"unknown skill {name!r}; I can: {self.capabilities()}") from None

    def grip_limit_n(self, object_id: str) -> float:
        """Largest grip force in newtons the catalogue allows on ``object_id`` (0: unknown)."""
        known = self.objects.get(object_id)
        return known.max_grip_force_n if known else 0.0

    def capabilities(self) -> str:
        """One line listing every skill with an example phrase, for error messages."""
        return ", ".join(f'{s.name} ("{self.example(s.name)}")' for s in self.skills.values())

    def example(self, name: str) -> str:
        """The first phrase of skill ``name`` with each ``{param}`` filled by its first value."""
        skill = self.skill(name)
        return re.sub(r"\{(\w+)\}", lambda m: "the " + self.objects[skill.params[m.group(1)][0]].words[0],
                      skill.phrases[0])


def _check_number(value: Any, what: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{what} must be {'> 0' if positive else '>= 0'}, got {value!r}")
    return float(value)


# ---------------------------------------------------------------------------- loading

def default_skills_path() -> pathlib.Path:
    """Find ``skills.yaml``: ``$BRAINBODY_CONFIG_DIR``, the installed share dir, the checkout.

    Raises:
        SkillCatalogueError: ``$BRAINBODY_CONFIG_DIR`` is set but holds no skills.yaml,
            or no candidate exists.
    """
    env_dir = os.environ.get(CONFIG_DIR_ENV)
    if env_dir:
        path = pathlib.Path(env_dir) / SKILLS_FILE
        if not path.is_file():  # an explicit setting that points nowhere is a mistake, not a hint
            raise SkillCatalogueError(f"${CONFIG_DIR_ENV}={env_dir!r} holds no {SKILLS_FILE}")
        return path
    tried = []
    try:
        from ament_index_python.packages import get_package_share_directory
        path = pathlib.Path(get_package_share_directory("brainbody")) / "config" / SKILLS_FILE
        if path.is_file():
            return path
        tried.append(str(path))
    except (ImportError, LookupError, ValueError, OSError):  # not an installed ROS package
        pass
    for parent in pathlib.Path(__file__).resolve().parents:
        path = parent / "config" / SKILLS_FILE
        if path.is_file():
            return path
    tried.append(f"config/{SKILLS_FILE} above {pathlib.Path(__file__).parent}")
    raise SkillCatalogueError(f"cannot find {SKILLS_FILE}; looked in: {'; '.join(tried)} "
                              f"(set ${CONFIG_DIR_ENV} to the folder holding it)")


def load_catalogue(path: str | os.PathLike[str] | None = None) -> SkillCatalogue:
    """Load and validate the skill catalogue from ``path`` (default: :func:`default_skills_path`).

    Raises:
        SkillCatalogueError: the file is unreadable, not YAML, or fails validation.
    """
    path = pathlib.Path(path) if path is not None else default_skills_path()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SkillCatalogueError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise SkillCatalogueError(f"{path}: not valid YAML: {exc}") from exc
    catalogue = catalogue_from_mapping(data, source=str(path))
    log.info("loaded %d skills from %s", len(catalogue.skills), path)
    return catalogue


def catalogue_from_mapping(data: Any, *, source: str = "<mapping>") -> SkillCatalogue:
    """Build a catalogue from the parsed YAML document ``data``.

    Raises:
        SkillCatalogueError: a key is unknown or missing, or a value is invalid.
    """
    return _Reader(source).catalogue(data)


# Keys a step may carry besides ``kind``; the kind-specific ones reject typos like a
# grip force on a press, which the body would silently ignore.
_STEP_KEYS = {"object", "target", "max_speed_mps", "timeout_s"}
_KIND_KEYS = {PrimitiveKind.GRASP: {"grip_force_n"}, PrimitiveKind.LIFT: {"lift_height_m"},
              PrimitiveKind.WAIT: {"duration_s"}}
_DEFAULT_KEYS = ("grip_force_n", "lift_height_m", "max_speed_mps", "timeout_s")


class _Reader:
    """Walks the YAML document, keeping the key path for error messages."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, message: str) -> NoReturn:
        raise SkillCatalogueError(f"{self.source}: {where}: {message}")

    def mapping(self, value: Any, where: str, *, required: tuple[str, ...] = (),
                optional: tuple[str, ...] = (), free: bool = False) -> dict:
        """Check ``value`` is a mapping with the given keys (``free``: any string keys)."""
        if not isinstance(value, dict):
            self.fail(where, f"expected a mapping, got {type(value).__name__}")
        for key in value:
            if not isinstance(key, str):
                self.fail(where, f"keys must be strings, got {key!r}")
            if not free and key not in required and key not in optional:
                self.fail(where, f"unknown key {key!r}; expected one of: "
                                 f"{', '.join(required + optional)}")
        for key in required:
            if key not in value:
                self.fail(where, f"missing key {key!r}")
        return value

    def number(self, value: Any, where: str, *, positive: bool = False) -> float:
        try:
            return _check_number(value, "value", positive=positive)
        except ValueError as exc:
            self.fail(where, str(exc))

    def string(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(where, f"expected a non-empty string, got {value!r}")
        return value.strip()

    def strings(self, value: Any, where: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            self.fail(where, f"expected a non-empty list of strings, got {value!r}")
        return tuple(self.string(v, f"{where}[{i}]") for i, v in enumerate(value))

    def name(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not _NAME.match(value):
            self.fail(where, f"names must be lower_snake_case, got {value!r}")
        return value

    # -- sections

    def catalogue(self, data: Any) -> SkillCatalogue:
        doc = self.mapping(data, "top level", required=("version", "defaults", "objects", "skills"),
                           optional=("modifiers", "language"))
        if doc["version"] != SCHEMA_VERSION:
            self.fail("version",
                      f"unsupported version {doc['version']!r}; expected {SCHEMA_VERSION}")
        defaults = self.mapping(doc["defaults"], "defaults", required=_DEFAULT_KEYS)
        defaults = {k: self.number(v, f"defaults.{k}", positive=True) for k, v in defaults.items()}
        objects = {}
        for oid, spec in self.mapping(doc["objects"], "objects", free=True).items():
            where = f"objects.{self.name(oid, 'objects')}"
            spec = self.mapping(spec or {}, where, optional=("description", "max_grip_force_n", "words"))
            objects[oid] = KnownObject(
                id=oid, description=str(spec.get("description", "")),
                words=self.strings(spec["words"], f"{where}.words") if "words" in spec else (),
                max_grip_force_n=self.number(spec.get("max_grip_force_n", 0.0),
                                             f"{where}.max_grip_force_n"))
        modifiers = {}
        for name, spec in self.mapping(doc.get("modifiers", {}), "modifiers", free=True).items():
            where = f"modifiers.{self.name(name, 'modifiers')}"
            spec = self.mapping(spec, where, required=("words",),
                                optional=("grip_force_n", "max_speed_mps"))
            modifiers[name] = Modifier(
                name=name, words=self.strings(spec["words"], f"{where}.words"),
                **{k: self.number(spec[k], f"{where}.{k}", positive=True)
                   for k in ("grip_force_n", "max_speed_mps") if k in spec})
        skills = {}
        for name, spec in self.mapping(doc["skills"], "skills", free=True).items():
            skills[name] = self.skill(self.name(name, "skills"), spec, defaults)
        return SkillCatalogue(skills=skills, objects=objects, modifiers=modifiers,
                              language=self.language(doc.get("language", {})),
                              source=self.source)

    def language(self, data: Any) -> Language:
        spec = self.mapping(data, "language",
                            optional=("filler", "separators", "synonyms", "unsafe", "pronouns",
                                      "out_of_scope", "phrasal_verbs", "negations"))
        synonyms: dict[str, str] = {}
        for canon, alts in self.mapping(spec.get("synonyms", {}), "language.synonyms",
                                        free=True).items():
            for alt in self.strings(alts, f"language.synonyms.{canon}"):
                if alt in synonyms:
                    self.fail(f"language.synonyms.{canon}",
                              f"{alt!r} is already a synonym of {synonyms[alt]!r}")
                synonyms[alt] = canon
        unsafe = []
        for i, rule in enumerate(spec.get("unsafe", []) or []):
            where = f"language.unsafe[{i}]"
            rule = self.mapping(rule, where, required=("words", "reason"), optional=("examples",))
            unsafe.append(UnsafeRule(words=self.strings(rule["words"], f"{where}.words"),
                                     reason=self.string(rule["reason"], f"{where}.reason"),
                                     examples=(self.strings(rule["examples"], f"{where}.examples")
                                               if "examples" in rule else ())))
        filler = self.strings(spec["filler"], "language.filler") if "filler" in spec else ()
        separators = (self.strings(spec["separators"], "language.separators")
                      if "separators" in spec else ())
        phrasal = {self.string(k, "language.phrasal_verbs"): self.string(v, f"language.phrasal_verbs.{k}")
                   for k, v in self.mapping(spec.get("phrasal_verbs", {}), "language.phrasal_verbs",
                                            free=True).items()}
        try:
            return Language(filler=filler, separators=separators, synonyms=synonyms,
                            phrasal_verbs=phrasal,
                            negations=(self.strings(spec["negations"], "language.negations")
                                       if "negations" in spec else ()),
                            unsafe=tuple(unsafe),
                            pronouns=(self.strings(spec["pronouns"], "language.pronouns")
                                      if "pronouns" in spec else ()),
                            out_of_scope=(self.strings(spec["out_of_scope"], "language.out_of_scope")
                                          if "out_of_scope" in spec else ()))
        except ValueError as exc:
            self.fail("language.phrasal_verbs" if "phrasal" in str(exc) else "language.synonyms", str(exc))

    def skill(self, name: str, data: Any, defaults: dict[str, float]) -> Skill:
        where = f"skills.{name}"
        spec = self.mapping(data, where, required=("phrases", "steps"),
                            optional=("description", "params", "verbs", "may_mention"))
        if not isinstance(spec["steps"], list) or not spec["steps"]:
            self.fail(f"{where}.steps", "expected a non-empty list of steps")
        params = {self.name(k, f"{where}.params"): tuple(self.name(v, f"{where}.params.{k}")
                                                         for v in self.strings(vs, f"{where}.params.{k}"))
                  for k, vs in self.mapping(spec.get("params", {}), f"{where}.params", free=True).items()}
        steps = tuple(self.step(s, f"{where}.steps[{i}]", defaults, params)
                      for i, s in enumerate(spec["steps"]))
        phrases = self.strings(spec["phrases"], f"{where}.phrases")
        for phrase in phrases:
            for slot in re.findall(r"\{(\w+)\}", phrase):
                if slot not in params:
                    self.fail(f"{where}.phrases", f"{phrase!r} names {{{slot}}} but params declares "
                                                  f"{', '.join(params) or 'none'}")
        try:
            return Skill(name=name, description=str(spec.get("description", name)),
                         phrases=phrases, steps=steps, params=params,
                         verbs=self.strings(spec["verbs"], f"{where}.verbs") if "verbs" in spec else (),
                         may_mention=tuple(self.name(v, f"{where}.may_mention") for v in self.strings(
                             spec["may_mention"], f"{where}.may_mention")) if "may_mention" in spec else ())
        except ValueError as exc:
            self.fail(where, str(exc))

    def step(self, data: Any, where: str, defaults: dict[str, float],
             params: Mapping[str, Any] = {}) -> Step:
        if isinstance(data, str):  # shorthand: "- home"
            data = {"kind": data}
        raw = self.mapping(data, where, free=True)
        if "kind" not in raw:
            self.fail(where, "missing key 'kind'")
        try:
            kind = PrimitiveKind.parse(raw["kind"])
        except InvalidPrimitiveError as exc:
            self.fail(f"{where}.kind", str(exc))
        allowed = ("kind",) + tuple(sorted(_STEP_KEYS | _KIND_KEYS.get(kind, set())))
        raw = self.mapping(raw, f"{where} ({kind.name.lower()})", optional=allowed)
        fields: dict[str, Any] = {"timeout_s": defaults["timeout_s"]}
        if kind is not PrimitiveKind.WAIT:
            fields["max_speed_mps"] = defaults["max_speed_mps"]
        if kind is PrimitiveKind.GRASP:
            fields["grip_force_n"] = defaults["grip_force_n"]
        if kind is PrimitiveKind.LIFT:
            fields["lift_height_m"] = defaults["lift_height_m"]
        for key, value in raw.items():
            if key in ("object", "target"):
                if is_placeholder(value) and value[1:-1] in params:
                    fields[f"{key}_id"] = value
                else:
                    fields[f"{key}_id"] = self.name(value, f"{where}.{key}")
            elif key != "kind":
                fields[key] = self.number(value, f"{where}.{key}")
        try:
            return Step(kind=kind, **fields)
        except InvalidPrimitiveError as exc:
            self.fail(where, str(exc).replace("primitive 'step': ", ""))
