"""The layered intent pipeline: text -> validated plan, offline first.

1. the deterministic parser (:mod:`brainbody.brain.intent`) reads the whole request:
   unsafe words and over-limit forces are refused here, before any other layer sees it;
   steps it matches exactly are planned as they are;
2. steps it cannot match go to the offline semantic matcher
   (:mod:`brainbody.brain.semantic_matcher`), which accepts above a confidence threshold
   and otherwise refuses, listing what the robot can do;
3. only when both refuse as *not understood* (UNKNOWN_INTENT), and an endpoint is
   configured, the request goes to the LLM layer (:mod:`brainbody.brain.llm_planner`);
   a negated request ("don't press the button") is refused by the parser for good and
   never forwarded.

Every plan, whichever layer produced it, is validated against the skill contracts and
the world model before it is returned.
"""
from __future__ import annotations

import dataclasses
import logging
from typing import Optional

from brainbody.brain.brain_config import BrainConfig
from brainbody.brain.intent import IntentMatch, NegatedIntentError
from brainbody.brain.planner import Planner, new_plan_id
from brainbody.brain.skills import SkillCatalogue
from brainbody.exceptions import UnknownIntentError
from brainbody.primitives import TaskPlan
from brainbody.world import WorldModel

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class PlanResult:
    """A validated plan and how it was understood.

    Attributes:
        plan: the plan.
        match: the parsed intent (None when the LLM layer wrote the plan).
        layers: which layer understood each step (``parser``, ``semantic``, ``llm``).
        confidence: 1.0 for exact parses, the similarity for semantic matches.
    """

    plan: TaskPlan
    match: Optional[IntentMatch]
    layers: tuple[str, ...]
    confidence: float

    def describe(self) -> str:
        how = ", ".join(dict.fromkeys(self.layers))
        return f"{self.plan.describe()}\n  understood by: {how} (confidence {self.confidence:.2f})"


class IntentPipeline:
    """Builds the layers once (the embedding model loads here) and plans many requests.

    Args:
        catalogue: the skill catalogue.
        config: contract limits and layer settings.
        world: world model plans are bound to (kept by reference: updates apply).
        semantic: override the semantic layer (None: per ``config.semantic_enabled``).
        llm: override the LLM layer (None: per ``config.llm_enabled``).

    Raises:
        EmbeddingModelError: ``semantic_enabled`` but the model package is missing.
    """

    def __init__(self, catalogue: SkillCatalogue, config: BrainConfig = BrainConfig(), *,
                 world: Optional[WorldModel] = None, semantic=None, llm=None):
        self.catalogue, self.config, self.world = catalogue, config, world
        if semantic is None and config.semantic_enabled:
            from brainbody.brain.semantic_matcher import SemanticMatcher
            semantic = SemanticMatcher(catalogue, threshold=config.semantic_threshold,
                                       margin=config.semantic_margin,
                                       unsafe_threshold=config.semantic_unsafe_threshold)
        if llm is None and config.llm_enabled:
            from brainbody.brain.llm_planner import LlmPlanner
            llm = LlmPlanner(catalogue, config)
        self.semantic, self.llm = semantic or None, llm or None
        self._planner = Planner(catalogue, world, config=config, fallback=self.semantic)

    @property
    def planner(self) -> Planner:
        return self._planner

    def plan(self, text: object, world: Optional[WorldModel] = None) -> PlanResult:
        """Plan ``text``.

        Raises:
            UnknownIntentError: no layer understood it (the message lists what the robot can do).
            UnsafeRequestError, ForceLimitError, OutOfRangeError: refused as unsafe.
            UnknownObjectError, UnreachableError, PreconditionError, InvalidPrimitiveError:
                the plan does not fit the contracts or the world.
        """
        try:
            match = self._planner.parse(text)
        except UnknownIntentError as offline:
            if (self.llm is None or isinstance(offline, NegatedIntentError)
                    or not isinstance(text, str) or not text.strip()):
                raise
            log.info("offline layers do not understand %r (%s); asking the LLM layer", text, offline)
            plan = self.llm.plan(text.strip(), plan_id=new_plan_id(), world=world or self.world)
            return PlanResult(plan, None, ("llm",), 0.0)
        plan = self._planner.plan_match(match, world=world)
        return PlanResult(plan, match, match.layers, match.confidence)
