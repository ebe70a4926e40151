"""The specification's classes (``../shared/spec/SEED.md``) as a thin facade over dopt.

The specification was written for a package called ``image_optimizer``; its
examples run with ``dopt`` in its place::

    >>> from pathlib import Path
    >>> from dopt import DockerfileParser
    >>> import tempfile, os
    >>> p = Path(tempfile.mkdtemp()) / "Dockerfile"
    >>> _ = p.write_text("FROM python:3.11 AS builder\\nRUN pip install torch==2.0.0\\nFROM python:3.11-slim\\n")
    >>> stages = DockerfileParser(p).parse()
    >>> stages[0].name, stages[0].is_build_stage(), stages[1].name
    ('builder', False, None)
    >>> DockerfileParser(p).extract_package_managers()["pip"]
    ['torch==2.0.0']

Each class delegates to the real machinery: the parser to :mod:`dopt.frontend`,
the builder to the pass pipeline (:mod:`dopt.pipeline`), the optimizer to
:mod:`dopt.optimize` (real builds and verification), the layer analyzer to
:mod:`dopt.images`, the cache analyzer to :mod:`dopt.cache`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Dict, List, Optional

# --------------------------------------------------------------------------
# Task 1: parser


class InstructionType(Enum):
    FROM = "FROM"
    RUN = "RUN"
    COPY = "COPY"
    ADD = "ADD"
    WORKDIR = "WORKDIR"
    ENV = "ENV"
    ARG = "ARG"
    EXPOSE = "EXPOSE"
    CMD = "CMD"
    ENTRYPOINT = "ENTRYPOINT"
    LABEL = "LABEL"
    USER = "USER"
    VOLUME = "VOLUME"
    HEALTHCHECK = "HEALTHCHECK"
    SHELL = "SHELL"
    STOPSIGNAL = "STOPSIGNAL"
    ONBUILD = "ONBUILD"
    MAINTAINER = "MAINTAINER"


@dataclass
class DockerfileInstruction:
    """One instruction: its type, its argument text, its first line and its exact source."""

    type: InstructionType
    arguments: str
    line_number: int
    raw_line: str
    node: object = field(default=None, repr=False, compare=False)

    def is_layer_creating(self) -> bool:
        """RUN, COPY and ADD create layers; the others are metadata."""
        return self.type in (InstructionType.RUN, InstructionType.COPY, InstructionType.ADD)


def _instruction(node) -> DockerfileInstruction:
    from dopt.printer import print_instruction

    text = node.source if node.source is not None else print_instruction(node)
    first = text.strip().split(None, 1)
    arguments = first[1].strip() if len(first) > 1 else ""
    return DockerfileInstruction(
        type=InstructionType(node.KIND), arguments=arguments,
        line_number=node.span.start_line if node.span else 0, raw_line=text.rstrip("\r\n"), node=node,
    )


def _scripts(instructions) -> list:
    from dopt.ir import Run, ShellForm
    from dopt.shell import parse_script

    return [parse_script(i.node.command.text) for i in instructions
            if isinstance(i.node, Run) and isinstance(i.node.command, ShellForm)]


@dataclass
class Stage:
    """A build stage: ``name`` (``FROM x AS name``), its base image and instructions."""

    name: Optional[str]
    base_image: str
    instructions: List[DockerfileInstruction]
    stage_number: int
    node: object = field(default=None, repr=False, compare=False)

    def get_dependencies(self) -> List[str]:
        """Packages this stage installs (apt, pip, npm, ... as written)."""
        from dopt.packages import extract_package_managers

        found = extract_package_managers(_scripts(self.instructions))
        return [p for packages in found.values() for p in packages]

    def is_build_stage(self) -> bool:
        """True when the stage uses build tools (compilers, -dev headers, npm/maven/cargo/go builds)."""
        from dopt.packages import build_tools, package_ops

        return any(build_tools(package_ops(s)) for s in _scripts(self.instructions))


class DockerfileParser:
    """Parse a Dockerfile into stages (over :func:`dopt.frontend.parse_text`)."""

    def __init__(self, dockerfile_path: Path):
        self.dockerfile_path = Path(dockerfile_path)
        self.stages: List[Stage] = []
        self.dockerfile = None

    def parse(self) -> List[Stage]:
        from dopt.files import read_dockerfile
        from dopt.frontend import parse_text

        self.dockerfile = parse_text(read_dockerfile(str(self.dockerfile_path)), path=str(self.dockerfile_path))
        self.stages = [
            Stage(name=s.name, base_image=s.base.raw,
                  instructions=[_instruction(i) for i in s.instructions], stage_number=n, node=s)
            for n, s in enumerate(self.dockerfile.stages)
        ]
        for stage in self.stages:
            # the builder needs the whole file (preamble ARGs, directives), not just the stages
            stage._dockerfile = self.dockerfile
        return self.stages

    def _ensure(self) -> None:
        if self.dockerfile is None:
            self.parse()

    def get_base_images(self) -> List[str]:
        self._ensure()
        return [s.base_image for s in self.stages]

    def count_layers(self) -> int:
        self._ensure()
        return sum(1 for s in self.stages for i in s.instructions if i.is_layer_creating())

    def extract_package_managers(self) -> Dict[str, List[str]]:
        from dopt.packages import extract_package_managers

        self._ensure()
        return extract_package_managers([sc for s in self.stages for sc in _scripts(s.instructions)])


# --------------------------------------------------------------------------
# Task 3: strategy and multi-stage builder


@dataclass
class OptimizationStrategy:
    """Which optimizations to apply; ``pipeline()`` is the equivalent pass pipeline."""

    use_multistage: bool = True
    use_slim_base: bool = True
    use_distroless: bool = False
    combine_run_commands: bool = True
    remove_cache: bool = True
    optimize_layer_order: bool = True

    def pipeline(self) -> str:
        from dopt.pipeline import level_pipeline

        wanted = {
            "reorder": self.optimize_layer_order, "split": self.use_multistage, "lower": self.use_slim_base,
            "fuse": self.combine_run_commands, "cleanup": self.remove_cache,
        }
        out = []
        for name in level_pipeline("2").split(","):
            base = name.split("<")[0]
            if not wanted.get(base, True):
                continue
            if base in ("lower", "split") and self.use_distroless:
                name = f"{base}<distroless>"
            out.append(name)
        return ",".join(out) or "noop"

    def get_base_image_variant(self, base_image: str) -> str:
        """The smaller variant dopt's base-image table knows (the image itself when none).

        >>> OptimizationStrategy().get_base_image_variant("python:3.11")
        'python:3.11-slim'
        """
        from dopt.data.base_images import lower_reference
        from dopt.variables import parse_image_ref

        ref = parse_image_ref(base_image)
        variant = "distroless" if self.use_distroless else "slim"
        try:
            result = lower_reference(ref.name, ref.tag, variant)
        except Exception:
            result = None
        if result is None or hasattr(result, "reason"):  # unknown image, or a refusal with its reason
            return base_image
        return str(result)


class MultiStageBuilder:
    """Generate optimized Dockerfiles by running dopt's passes."""

    def __init__(self, strategy: OptimizationStrategy):
        self.strategy = strategy
        self.last_result = None

    def _run(self, df, pipeline: str, runtime_dependencies=None, context_dir=None):
        from dopt.pipeline import run_pipeline

        settings = {"runtime_deps": list(runtime_dependencies or [])}
        if context_dir:
            settings["context_dir"] = str(context_dir)
        self.last_result = run_pipeline(df, pipeline, settings=settings)
        return self.last_result

    def optimize_dockerfile(self, stages: List[Stage], runtime_dependencies: Optional[List[str]] = None,
                            context_dir: Optional[Path] = None) -> str:
        """The optimized Dockerfile text for the parsed ``stages``."""
        df = _dockerfile_of(stages)
        if context_dir is None and df.path:
            guess = Path(df.path).parent / "context"
            context_dir = guess if guess.is_dir() else Path(df.path).parent
        return self._run(df, self.strategy.pipeline(), runtime_dependencies, context_dir).text

    def _create_builder_stage(self, original_stage: Stage) -> str:
        """The builder stage ``split`` makes of ``original_stage``."""
        text = self._split_text(original_stage)
        return _stage_texts(text)[0]

    def _create_runtime_stage(self, original_stage: Stage, runtime_dependencies: Optional[List[str]] = None) -> str:
        """The runtime stage ``split`` (then ``lower``) makes of ``original_stage``."""
        text = self._split_text(original_stage, runtime_dependencies, lower=self.strategy.use_slim_base)
        return _stage_texts(text)[-1]

    def _split_text(self, stage: Stage, runtime_dependencies=None, lower: bool = False) -> str:
        from dopt.ir import Dockerfile

        df = Dockerfile(stages=(stage.node,))
        return self._run(df, "split,lower" if lower else "split", runtime_dependencies).text

    def _combine_run_commands(self, instructions: List[DockerfileInstruction]) -> List[DockerfileInstruction]:
        """Fuse consecutive RUNs (pass ``fuse``) and clean caches (pass ``cleanup``)."""
        return self._on_instructions(instructions, "fuse,cleanup")

    def _optimize_layer_order(self, instructions: List[DockerfileInstruction]) -> List[DockerfileInstruction]:
        """Order instructions by change frequency (pass ``reorder``)."""
        return self._on_instructions(instructions, "reorder")

    def _on_instructions(self, instructions, pipeline):
        from dopt.ir import Dockerfile, From, ImageRef
        from dopt.ir import Stage as IRStage

        from_ = From(image=ImageRef(raw="scratch", repository="scratch"), source=None)
        stage = IRStage(from_, tuple(i.node for i in instructions if i.type is not InstructionType.FROM))
        out = self._run(Dockerfile(stages=(stage,)), pipeline).dockerfile
        return [_instruction(i) for i in out.stages[0].instructions]

    def generate_dockerfile(self, optimized_content: str, output_path: Path) -> None:
        """Write the Dockerfile atomically, with a header naming the applied passes."""
        from dopt.files import write_atomic

        applied = []
        if self.last_result is not None:
            applied = list(dict.fromkeys(d.pass_name for d in self.last_result.applied))
        header = (f"# Optimized by dopt (passes applied: {', '.join(applied) or 'none'}); "
                  "NOT verified on an engine: use `dopt optimize` to build and verify.\n")
        text = optimized_content
        if text.startswith("# syntax=") or text.lower().startswith("# escape="):
            first, _, rest = text.partition("\n")
            text = first + "\n" + header + rest
        else:
            text = header + text
        write_atomic(output_path, text)


def _dockerfile_of(stages: List[Stage]):
    from dopt.ir import Dockerfile

    for s in stages:
        parser_df = getattr(s, "_dockerfile", None)
        if parser_df is not None:
            return parser_df
    nodes = tuple(s.node for s in stages)
    return Dockerfile(stages=nodes)


def _stage_texts(text: str) -> list[str]:
    from dopt.frontend import parse_text
    from dopt.printer import print_instruction

    df = parse_text(text)
    return ["".join(print_instruction(i) for i in s.all()) for s in df.stages]


# --------------------------------------------------------------------------
# Task 4: cache analyzer


@dataclass
class BuildStep:
    step_number: int
    instruction: str
    cached: bool
    duration_seconds: float
    size_bytes: int = 0
    line: Optional[int] = None


@dataclass
class BuildAnalysis:
    total_duration_seconds: float
    steps: List[BuildStep]
    cache_hit_rate: float  # percentage of steps served from the cache
    estimated_speedup: float
    report: object = field(default=None, repr=False, compare=False)  # dopt.cache.CacheReport

    @property
    def cache_misses(self) -> List[BuildStep]:
        return [s for s in self.steps if not s.cached]


def _build_analysis(report) -> BuildAnalysis:
    steps = [BuildStep(s.index, s.instruction, s.cached, s.duration_s, 0, s.line)
             for s in report.steps if s.kind != "FROM"]
    total = report.warm_seconds if report.warm_seconds is not None else sum(s.duration_seconds for s in steps)
    # Perfect caching of a source edit: the dependency installs the edit rebuilt come from the cache.
    best = total - report.estimated_saved_s
    speedup = total / best if best > 0 else 1.0
    return BuildAnalysis(total, steps, report.hit_rate, max(speedup, 1.0), report)


class CacheAnalyzer:
    """Build-cache analysis from real BuildKit step events (over :mod:`dopt.cache`).

    ``analyze_build`` builds twice around a one-line edit of a copied source
    file (``dopt cache``): ``cache_hit_rate`` is the percentage of the second
    build's steps the cache served. The first build may use the cache
    (``cold=True`` makes it ``--no-cache``); ``measure_layer_rebuild_time``
    is the one that builds cold.
    """

    def __init__(self, engine=None):
        self.engine = engine

    def analyze_build(self, dockerfile_path: Path, build_context: Path, *, change: Optional[str] = None,
                      cold: bool = False) -> BuildAnalysis:
        from dopt.cache import measure

        report = measure(dockerfile_path, build_context, change=change, engine=self.engine, cold=cold)
        return _build_analysis(report)

    def find_cache_breakers(self, analysis: BuildAnalysis) -> List[Dict]:
        """The first miss and its cause, then every static cache breaker, as the specification's dicts."""
        report = analysis.report
        if report is None:
            raise ValueError("find_cache_breakers needs an analysis from CacheAnalyzer.analyze_build")
        out = []
        if report.first_miss is not None and report.cause is not None:
            out.append({"step": report.first_miss.index, "line": report.first_miss.line,
                        "instruction": report.first_miss.instruction, "code": report.cause.code,
                        "reason": "first cache miss: " + report.cause.message,
                        "recommendation": report.cause.recommendation or "nothing to change: the miss is expected"})
        for b in report.breakers:
            step = report.step_at_line(b.line) if b.line else None
            out.append({"step": step.index if step else None, "line": b.line, "instruction": b.instruction,
                        "code": b.code, "reason": b.reason, "recommendation": b.recommendation})
        return out

    def recommend_dockerignore(self, build_context: Path) -> List[str]:
        from dopt.cache import recommend_dockerignore

        return [a.pattern for a in recommend_dockerignore(build_context)]

    def measure_layer_rebuild_time(self, dockerfile_path: Path, build_context: Optional[Path] = None) -> Dict[int, float]:
        from dopt.cache import measure_rebuild_times

        return measure_rebuild_times(dockerfile_path, build_context or Path(dockerfile_path).parent,
                                     engine=self.engine)


# --------------------------------------------------------------------------
# Task 5: optimizer


@dataclass
class OptimizationResult:
    original_size_mb: float
    optimized_size_mb: float
    size_reduction_percent: float
    original_layers: int
    optimized_layers: int
    estimated_build_speedup: float
    optimizations_applied: List[str]
    warnings: List[str]
    verified: bool = False
    outcome: object = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        bar = "━" * 38
        lines = [
            "", "Optimization Results:", bar,
            f"Original Size:    {self.original_size_mb:.1f} MB",
            f"Optimized Size:   {self.optimized_size_mb:.1f} MB",
            f"Size Reduction:   {self.size_reduction_percent:.1f}%", bar,
            f"Original Layers:  {self.original_layers}",
            f"Optimized Layers: {self.optimized_layers}",
            f"Build Speedup:    {self.estimated_build_speedup:.1f}x", bar,
            f"Verified:         {'yes' if self.verified else 'NO'}", "",
            "Optimizations Applied:",
            *[f"  ✓ {o}" for o in self.optimizations_applied],
        ]
        if self.warnings:
            lines += ["", "Warnings:", *[f"  ⚠ {w}" for w in self.warnings]]
        return "\n".join(lines) + "\n"


_LABELS = {"split": "Multi-stage build", "lower": "Slim base image", "fuse": "Combined RUN commands",
           "cleanup": "Removed package caches", "reorder": "Dependency-first layer order"}


class ImageOptimizer:
    """Build, optimize, rebuild, verify and measure (over :func:`dopt.optimize.optimize`)."""

    def __init__(self, dockerfile_path: Path, build_context: Path, strategy: Optional[OptimizationStrategy] = None):
        self.dockerfile_path = Path(dockerfile_path)
        self.build_context = Path(build_context)
        self.strategy = strategy or OptimizationStrategy()
        self.parser = DockerfileParser(self.dockerfile_path)
        self.builder = MultiStageBuilder(self.strategy)
        self.cache_analyzer = CacheAnalyzer()

    @property
    def layer_analyzer(self):
        from dopt.images.legacy import LayerAnalyzer

        return LayerAnalyzer()

    def analyze(self, build_original: bool = True) -> Dict:
        from dopt.frontend import parse_text
        from dopt.pipeline import run_pipeline

        stages = self.parser.parse()
        result = run_pipeline(self.parser.dockerfile, self.strategy.pipeline(),
                              settings={"context_dir": str(self.build_context)})
        report = {
            "dockerfile": str(self.dockerfile_path),
            "stages": len(stages),
            "base_images": self.parser.get_base_images(),
            "layers": self.parser.count_layers(),
            "packages": self.parser.extract_package_managers(),
            "build_stages": [s.stage_number for s in stages if s.is_build_stage()],
            "opportunities": [str(d) for d in result.applied],
            "declined": [str(d) for d in result.declined],
            "optimized_dockerfile": result.text,
        }
        parse_text(result.text)  # the proposal is a valid Dockerfile
        if build_original:
            analysis = self.cache_analyzer.analyze_build(self.dockerfile_path, self.build_context)
            report["cache"] = {"hit_rate": analysis.cache_hit_rate, "steps": len(analysis.steps),
                               "duration_s": analysis.total_duration_seconds,
                               "breakers": self.cache_analyzer.find_cache_breakers(analysis)}
        return report

    def optimize(self, output_path: Path, runtime_dependencies: Optional[List[str]] = None, verify: bool = True,
                 smoke: Optional[List[List[str]]] = None) -> OptimizationResult:
        from dopt.optimize import OptimizeRequest, optimize

        outcome = optimize(OptimizeRequest(
            dockerfile=self.dockerfile_path, context=self.build_context, output=output_path,
            pipeline=self.strategy.pipeline(), runtime_deps=list(runtime_dependencies or []),
            verify=verify, smoke=list(smoke or []),
        ))
        applied = list(dict.fromkeys(
            _LABELS.get(a.split("]")[0].lstrip("["), a.split("]")[0].lstrip("[")) for a in outcome.applied))
        return OptimizationResult(
            original_size_mb=outcome.original.size_mb,
            optimized_size_mb=outcome.optimized.size_mb if outcome.optimized else outcome.original.size_mb,
            size_reduction_percent=outcome.size_reduction_percent,
            original_layers=outcome.original.layers,
            optimized_layers=outcome.optimized.layers if outcome.optimized else outcome.original.layers,
            estimated_build_speedup=outcome.build_speedup,
            optimizations_applied=applied,
            warnings=list(outcome.warnings),
            verified=outcome.verified and verify,
            outcome=outcome,
        )


# --------------------------------------------------------------------------
# Task 6: reporter


class Reporter:
    """HTML and JSON reports of an :class:`OptimizationResult`."""

    def generate_html_report(self, result: OptimizationResult, output_path: Path) -> None:
        from dopt.files import write_atomic
        from dopt.report.html import render_optimize_html

        if result.outcome is None:
            raise ValueError("generate_html_report needs a result from ImageOptimizer.optimize")
        write_atomic(output_path, render_optimize_html(result.outcome))

    def generate_json_report(self, result: OptimizationResult, output_path: Path) -> None:
        from dopt.files import write_atomic

        doc = result.outcome.to_dict() if result.outcome is not None else {}
        doc.update({
            "original_size_mb": result.original_size_mb, "optimized_size_mb": result.optimized_size_mb,
            "size_reduction_percent": result.size_reduction_percent, "original_layers": result.original_layers,
            "optimized_layers": result.optimized_layers, "estimated_build_speedup": result.estimated_build_speedup,
            "optimizations_applied": result.optimizations_applied, "warnings": result.warnings,
        })
        write_atomic(output_path, json.dumps(doc, indent=2) + "\n")


def __getattr__(name: str):
    if name in ("LayerAnalyzer", "ImageAnalysis", "Layer"):
        from dopt.images import legacy

        return getattr(legacy, name)
    raise AttributeError(f"module 'dopt.compat' has no attribute {name!r}")
