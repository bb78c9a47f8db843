"""The planner: intent text -> validated :class:`~brainbody.primitives.TaskPlan`.

It parses the text, concatenates the matched recipes, applies modifiers and an explicit
grip force, gives each primitive a readable unique id (``p03-grasp-cup``) and validates
the result with :func:`~brainbody.brain.plan_validation.validate_plan`.
"""
from __future__ import annotations

import dataclasses
import logging
import uuid
from typing import Optional

from brainbody.brain.brain_config import BrainConfig
from brainbody.brain.intent import Fallback, IntentMatch, IntentParser
from brainbody.brain.plan_validation import validate_plan
from brainbody.brain.skills import SkillCatalogue, Step
from brainbody.exceptions import ForceLimitError, UnknownIntentError
from brainbody.primitives import PrimitiveKind, TaskPlan, TaskPrimitive
from brainbody.world import WorldModel

log = logging.getLogger(__name__)


class Planner:
    """Turns intent text into plans using one skill catalogue and an optional world model.

    Parameters
    ----------
    catalogue : the skills, vocabulary and brain-side object limits.
    world : when given, plans are bound to it: every reference must exist and grasps must
        respect its ``max_grip_force_n``. The planner keeps the reference, so updates to
        the world model apply to later plans.

    Raises
    ------
    TypeError : ``catalogue`` or ``world`` has the wrong type.
    SkillCatalogueError : the catalogue's phrases are ambiguous or can never match.
    """

    def __init__(self, catalogue: SkillCatalogue, world: Optional[WorldModel] = None, *,
                 config: BrainConfig = BrainConfig(), fallback: Optional[Fallback] = None):
        if world is not None and not isinstance(world, WorldModel):
            raise TypeError(f"world must be a WorldModel or None, got {type(world).__name__}")
        self._parser = IntentParser(catalogue, fallback=fallback)
        self._catalogue = catalogue
        self._world = world
        self._config = config

    @property
    def catalogue(self) -> SkillCatalogue:
        return self._catalogue

    @property
    def world(self) -> Optional[WorldModel]:
        return self._world

    @property
    def parser(self) -> IntentParser:
        return self._parser

    def parse(self, text: object) -> IntentMatch:
        """Parse without planning; raises as :meth:`IntentParser.parse`."""
        return self._parser.parse(text)

    def plan(self, text: object) -> TaskPlan:
        """Parse ``text`` and plan it.

        Raises
        ------
        UnknownIntentError, UnsafeRequestError, ForceLimitError, OutOfRangeError :
            the text is refused (see :meth:`IntentParser.parse`).
        UnknownObjectError, ForceLimitError, PreconditionError, InvalidPrimitiveError :
            the plan does not fit the world model (see :func:`validate_plan`).
        """
        return self.plan_match(self._parser.parse(text))

    def plan_match(self, match: IntentMatch, *, world: Optional[WorldModel] = None) -> TaskPlan:
        """Expand an already parsed ``match`` into a validated plan; raises as :meth:`plan`.

        ``world`` replaces the planner's world model for this plan."""
        steps: list[Step] = []
        located: dict[str, str] = {}   # object -> place the plan so far leaves it on
        for name, bindings in zip(match.skills, match.bindings):
            recipe = self._catalogue.skill(name).bound_steps(bindings)
            goal = _placement(recipe)
            if goal is not None and located.get(goal[0]) == goal[1]:
                # "make coffee and then bring it to the tray": the coffee already ends there.
                log.info("skipping %s: %r is already on %r by then", name, *goal)
                continue
            steps.extend(recipe)
            located.update(_placements(recipe))
        steps = _drop_repeated_home(steps)
        caps: dict[str, float] = {}
        for name in match.modifiers:
            if name not in self._catalogue.modifiers:
                raise UnknownIntentError(f"unknown modifier {name!r}; known: "
                                         f"{', '.join(self._catalogue.modifiers) or 'none'}")
            for field, cap in self._catalogue.modifiers[name].caps().items():
                caps[field] = min(cap, caps.get(field, cap))
        width = max(2, len(str(len(steps))))
        primitives = [self._primitive(i, step, caps, match.grip_force_n, width)
                      for i, step in enumerate(steps, start=1)]
        plan = validate_plan(TaskPlan(plan_id=new_plan_id(), intent=match.text,
                                      primitives=tuple(primitives)), world or self._world, config=self._config)
        log.info("planned %r as %s: %s", match.text, plan.plan_id,
                 ", ".join(p.describe() for p in plan.primitives))
        return plan

    def _primitive(self, index: int, step: Step, caps: dict[str, float],
                   grip_force_n: Optional[float], width: int) -> TaskPrimitive:
        primitive = step.to_primitive(_primitive_id(index, step, width))
        changes = {}
        if primitive.max_speed_mps and "max_speed_mps" in caps:
            changes["max_speed_mps"] = min(primitive.max_speed_mps, caps["max_speed_mps"])
        if primitive.kind is PrimitiveKind.GRASP:
            if grip_force_n is not None:  # an explicit force wins over modifiers
                changes["grip_force_n"] = grip_force_n
            elif "grip_force_n" in caps:
                changes["grip_force_n"] = min(primitive.grip_force_n, caps["grip_force_n"])
            force_n = changes.get("grip_force_n", primitive.grip_force_n)
            limit = self._catalogue.grip_limit_n(primitive.object_id)
            if force_n > limit:  # the world check may be absent; the catalogue's never is
                raise ForceLimitError(f"{primitive.id}: grip force {force_n:g} N exceeds the "
                                      f"{limit:g} N limit of {primitive.object_id!r}")
        return dataclasses.replace(primitive, **changes)


def new_plan_id() -> str:
    """A short random plan id such as ``plan-3f9c2a1b``; unique across processes."""
    return f"plan-{uuid.uuid4().hex[:8]}"


def _primitive_id(index: int, step: Step, width: int) -> str:
    parts = [f"p{index:0{width}d}", step.kind.name.lower(), step.object_id, step.target_id]
    return "-".join(p for p in parts if p)


def _placements(steps) -> dict[str, str]:
    return {s.object_id: s.target_id for s in steps if s.kind is PrimitiveKind.PLACE and s.object_id}


def _placement(steps) -> Optional[tuple[str, str]]:
    """(object, place) when a recipe only carries one object to one final place."""
    places = [(s.object_id, s.target_id) for s in steps if s.kind is PrimitiveKind.PLACE]
    others = {s.kind for s in steps} - {PrimitiveKind.REACH, PrimitiveKind.GRASP, PrimitiveKind.LIFT,
                                        PrimitiveKind.PLACE, PrimitiveKind.HOME}
    return places[-1] if len(places) == 1 and not others else None


def _drop_repeated_home(steps: list[Step]) -> list[Step]:
    # Recipes start or end at home, so "make coffee and then go home" would home twice.
    return [s for i, s in enumerate(steps)
            if not (i and s.kind is PrimitiveKind.HOME and steps[i - 1].kind is PrimitiveKind.HOME)]
