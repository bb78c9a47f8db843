"""The optional LLM layer: ask an OpenAI-compatible chat endpoint for a plan.

Off by default (``BrainConfig.llm_enabled``). It is asked only about requests the offline
layers did not understand, never about ones they refused as unsafe. Whatever it answers is
untrusted text: :func:`plan_from_llm_json` accepts exactly one JSON object of a fixed
shape (no extra keys, no NaN/Infinity, ids in lower_snake_case, known kinds, at most
:data:`MAX_PRIMITIVES` steps), and the resulting plan goes through the same skill
contracts and world validation as every other plan
(:func:`~brainbody.brain.plan_validation.validate_plan`). The model can make the brain
understand more; it cannot make it less safe.

Answer format the endpoint is told to produce (``SYSTEM_PROMPT``)::

    {"primitives": [{"kind": "reach", "object_id": "cup"}, {"kind": "grasp",
      "object_id": "cup", "grip_force_n": 3.0}, ...]}
    {"refuse": "why"}
"""
from __future__ import annotations

import json
import logging
import math
import os
import re
import urllib.error
import urllib.request
from typing import Any, Optional

from brainbody.brain.brain_config import BrainConfig
from brainbody.brain.plan_validation import validate_plan
from brainbody.brain.skill_contracts import describe_contracts
from brainbody.brain.skills import SkillCatalogue
from brainbody.exceptions import InvalidPrimitiveError, UnknownIntentError
from brainbody.primitives import PrimitiveKind, TaskPlan, TaskPrimitive
from brainbody.world import WorldModel

log = logging.getLogger(__name__)

MAX_PRIMITIVES = 40
MAX_ANSWER_CHARS = 20_000
_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_PRIMITIVE_KEYS = {"kind", "object_id", "target_id", "grip_force_n", "lift_height_m",
                   "max_speed_mps", "duration_s", "timeout_s"}

SYSTEM_PROMPT = """You plan for a robot arm. Answer with ONE JSON object and nothing else:
{{"primitives": [ {{"kind": ..., ...}}, ... ]}} to do the request, or {{"refuse": "<reason>"}}.
Primitive kinds and their contracts (SI units; omit fields a kind does not take):
{contracts}
Objects and places you may name (object_id / target_id): {objects}
Grasp force must not exceed an object's limit: {limits}
Recipes the robot already knows, as examples of good plans:
{recipes}"""


def system_prompt(catalogue: SkillCatalogue, config: BrainConfig) -> str:
    recipes = "\n".join(
        f"- {s.description}: " + ", ".join(st.to_primitive("x").describe() for st in s.bound_steps(
            {k: v[0] for k, v in s.params.items()}))
        for s in catalogue.skills.values())
    limits = ", ".join(f"{o.id} {o.max_grip_force_n:g} N" for o in catalogue.objects.values()
                       if o.max_grip_force_n > 0)
    return SYSTEM_PROMPT.format(contracts=describe_contracts(config), objects=", ".join(catalogue.objects),
                                limits=limits or "none", recipes=recipes)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number the plan may contain")


def plan_from_llm_json(text: str, *, intent: str, plan_id: str, world: Optional[WorldModel],
                       config: BrainConfig) -> TaskPlan:
    """Parse and validate an LLM answer into a plan.

    Raises:
        UnknownIntentError: the model refused, or answered with no plan.
        InvalidPrimitiveError: not one JSON object of the expected shape, extra keys,
            NaN/Infinity, ids that are not lower_snake_case, too many steps, unknown kind.
        ForceLimitError, OutOfRangeError, UnknownObjectError, UnreachableError,
        PreconditionError: the plan breaks a skill contract or does not fit the world.
    """
    if not isinstance(text, str) or len(text) > MAX_ANSWER_CHARS:
        raise InvalidPrimitiveError("the LLM answer is not text or is too long")
    body = text.strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", body, flags=re.S)
    body = fenced.group(1) if fenced else body
    try:
        data = json.loads(body, parse_constant=_no_constants)
    except ValueError as exc:
        raise InvalidPrimitiveError(f"the LLM answer is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or set(data) not in ({"primitives"}, {"refuse"}):
        keys = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise InvalidPrimitiveError(f"the LLM answer must be {{'primitives': [...]}} or "
                                    f"{{'refuse': ...}}, got {keys}")
    if "refuse" in data:
        raise UnknownIntentError(f"the LLM layer refused {intent!r}: {str(data['refuse'])[:200]}")
    steps = data["primitives"]
    if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_PRIMITIVES:
        raise InvalidPrimitiveError(f"the LLM plan must hold 1..{MAX_PRIMITIVES} primitives")
    primitives = []
    for i, raw in enumerate(steps, start=1):
        where = f"LLM step {i}"
        if not isinstance(raw, dict):
            raise InvalidPrimitiveError(f"{where} is not an object")
        extra = sorted(set(raw) - _PRIMITIVE_KEYS)
        if extra:
            raise InvalidPrimitiveError(f"{where} has unknown fields {extra}")
        kind = raw.get("kind")
        if not isinstance(kind, str):
            raise InvalidPrimitiveError(f"{where}: kind must be a name, got {kind!r}")
        kind = PrimitiveKind.parse(kind)
        fields: dict[str, Any] = {}
        for key in ("object_id", "target_id"):
            value = raw.get(key, "")
            if value != "" and not (isinstance(value, str) and _ID.match(value)):
                raise InvalidPrimitiveError(f"{where}: {key} must be a lower_snake_case id, got "
                                            f"{str(value)[:60]!r}")
            fields[key] = value
        for key in ("grip_force_n", "lift_height_m", "max_speed_mps", "duration_s", "timeout_s"):
            value = raw.get(key, 0.0)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InvalidPrimitiveError(f"{where}: {key} must be a finite number, got {value!r}")
            fields[key] = float(value)
        if not fields["timeout_s"]:
            fields["timeout_s"] = config.default_timeout_s
        ref = "-".join(p for p in (fields["object_id"], fields["target_id"]) if p)
        primitives.append(TaskPrimitive(id=f"p{i:02d}-{kind.name.lower()}" + (f"-{ref}" if ref else ""),
                                        kind=kind, **fields))
    return validate_plan(TaskPlan(plan_id=plan_id, intent=intent, primitives=tuple(primitives)),
                         world, config=config)


class LlmPlanner:
    """Client of one OpenAI-compatible ``/chat/completions`` endpoint.

    Args:
        catalogue: what the prompt tells the model about recipes and objects.
        config: ``llm_url``, ``llm_model``, ``llm_timeout_s``, ``llm_api_key_env`` and the
            contract limits the answer is validated against.
    """

    layer = "llm"

    def __init__(self, catalogue: SkillCatalogue, config: BrainConfig):
        if not config.llm_url:
            raise ValueError("LlmPlanner needs config.llm_url")
        self.catalogue, self.config = catalogue, config
        self.url = config.llm_url.rstrip("/") + "/chat/completions"
        self._prompt = system_prompt(catalogue, config)

    def ask(self, text: str) -> str:
        """Send the request; return the model's message content.

        Raises:
            UnknownIntentError: the endpoint is unreachable, times out or answers nonsense
                (the request is refused; nothing moves).
        """
        payload = {"model": self.config.llm_model, "temperature": 0,
                   "response_format": {"type": "json_object"},
                   "messages": [{"role": "system", "content": self._prompt},
                                {"role": "user", "content": text}]}
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.config.llm_api_key_env, "")
        if key:
            headers["Authorization"] = f"Bearer {key}"
        request = urllib.request.Request(self.url, data=json.dumps(payload).encode(), headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.config.llm_timeout_s) as response:
                answer = json.loads(response.read(1 << 20))
            return str(answer["choices"][0]["message"]["content"])
        except (urllib.error.URLError, OSError, ValueError, KeyError, IndexError, TypeError) as exc:
            raise UnknownIntentError(f"I do not understand {text!r} and the LLM layer at {self.url} "
                                     f"gave no usable answer ({exc})") from None

    def plan(self, text: str, *, plan_id: str, world: Optional[WorldModel]) -> TaskPlan:
        """Ask the model and validate its plan; raises as :func:`plan_from_llm_json`."""
        answer = self.ask(text)
        log.info("LLM answer for %r: %s", text, answer[:500])
        return plan_from_llm_json(answer, intent=text, plan_id=plan_id, world=world, config=self.config)
