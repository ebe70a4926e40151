"""lower: swap the runtime base image for a smaller compatible variant from the base-image table.

Only the image the build's result runs on is touched: the final stage (or the stage named by
``settings["target"]``) and, when it is built ``FROM`` an earlier stage, that chain down to the
stage whose FROM names an external image (the *root*). Those stages together are the *runtime
chain*; every check below reads all their instructions, because all of them end up in the image.
Builder stages whose files are only copied out (``COPY --from``) keep their full base.

``python:3.11`` becomes ``python:3.11-slim``, ``node:20-bookworm`` ``node:20-bookworm-slim``,
``eclipse-temurin:17-jdk-jammy`` ``eclipse-temurin:17-jre-jammy``, ``debian:bookworm``
``debian:bookworm-slim`` (the whole table: ``dopt/data/base_images.toml``). ``--platform``, the
registry prefix, the Debian codename, the ``AS`` alias and the keyword case stay as written.

The pass declines, with a reason and the FROM's span, when the swap could change behaviour:

* the chain compiles code (gcc, make, cmake, ``*-dev`` or ``build-essential`` packages,
  ``pip install --no-binary``, sdists, node-gyp, ``npm rebuild``, go/cargo/maven/gradle builds):
  the slim base has no toolchain, so ``split`` has to move the build out first;
* a RUN script cannot be analysed (opaque shell);
* a JDK tool (javac, jar, jlink, jcmd ...) is used on a JDK -> JRE swap;
* a build-tool base (maven, gradle) whose chain does not just run ``java -jar``;
* a swap to another vendor or distribution (openjdk 17 -> Temurin, ubuntu -> debian) in a chain
  that has RUN instructions, or that refers to a path the old base's ENV pointed to;
* a toolchain base (golang, rust): that is ``split``'s job;
* the image name comes from a build argument, or a tag from ARG cannot be rewritten by editing
  only the literal text around the variable (B35);
* the estimated saving is below ``min_savings`` MB.

What the smaller base lacks is added back: programs the chain calls that the full image had
(curl, git, ps ...), shared libraries that installed wheels expect (libgomp1 for OpenMP wheels,
B64; libexpat1 for uWSGI on 3.12-slim, B59), runtime libraries of ``-dev`` packages a copied-from
stage built against, and ``settings["runtime_deps"]`` -- one
``RUN apt-get update && apt-get install -y --no-install-recommends ... && rm -rf /var/lib/apt/lists/*``
right after the FROM. Locale variables the old base set and the new one does not (or sets
differently) are re-declared with ``ENV`` (B68). A ``@sha256:`` digest pins the old image, so it
is dropped with a loud warning (B56).

Example::

    >>> from dopt import parse_text
    >>> from dopt.pipeline import run_pipeline
    >>> run_pipeline(parse_text("FROM python:3.12\\nCMD [\\"python\\"]\\n"), "lower").text
    'FROM python:3.12-slim\\nCMD ["python"]\\n'
"""

from __future__ import annotations

import difflib
import re

from attrs import define, field

from dopt.data import base_images
from dopt.ir import (Cmd, Entrypoint, Env, ExecForm, Healthcheck, ImageRef, KeyValue, Run,
                     Shell, ShellForm)
from dopt.rewrite import replace_stage

NAME = "lower"
DESCRIPTION = "swap the runtime base image for a smaller compatible variant (slim, JRE, distroless)"
OPTIONS = {
    "variant": "slim (default) or alpine: the smaller variant to prefer (alpine falls back to slim "
               "when the stage uses apt, pip wheels or files built on glibc)",
    "distroless": "prefer a distroless image where the table has one and the stage allows it "
                  "(no RUN, no shell form, an exec-form ENTRYPOINT)",
    "min_savings": "decline when the estimated compressed saving is below this many MB (default 5)",
    "no_native": "assert that npm/yarn/pnpm installs in the stage build no native addons (otherwise "
                 "lower reads package-lock.json in the build context, or declines)",
}
PRESERVES = ()

# JDK-only programs: a JRE does not have them.
_JDK_TOOLS = frozenset({
    "javac", "jar", "jlink", "jdeps", "jshell", "jcmd", "jmap", "jstack", "jpackage", "jhsdb",
    "jdb", "javadoc", "jarsigner", "jstat", "jps", "jinfo", "jconsole", "serialver", "jdeprscan",
    "jimage", "jmod", "javap",
})
_SHELLS = frozenset({"sh", "bash", "ash", "dash"})
_SDIST = re.compile(r"(^git\+|\.(tar\.gz|tgz|tar\.bz2|tar\.xz|zip)$)")
_SYSTEM_MANAGERS = frozenset({"apt", "apk", "yum", "dnf", "microdnf", "tdnf", "zypper"})


def run(df, ctx):
    variant = ctx.option("variant", "slim")
    if variant not in ("slim", "alpine"):
        from dopt.errors import UsageError

        raise UsageError(f"lower<variant={variant}>: expected slim or alpine")
    if not df.stages:
        return df
    from dopt.variables import resolve_stages

    resolved = resolve_stages(df, ctx.settings.get("build_args") or {})
    chain = _runtime_chain(df, resolved, ctx)
    if chain is None:
        return df
    root = chain[0]
    stage = df.stages[root]
    from_ = stage.from_
    span = from_.span
    image = resolved[root].image
    shown = str(image)
    if ctx.is_skipped(from_):
        ctx.note(f"not lowering {shown}: protected by '# dopt: skip=lower'", span)
        return df
    if image.name.lower() == "scratch" or base_images.is_minimal(image.name, image.tag):
        return df

    facts = _Facts.collect(df, resolved, chain)
    attempts = (["distroless"] if ctx.option("distroless", False) else []) + \
        (["alpine"] if variant == "alpine" else []) + ["slim"]

    first = base_images.lower_reference(image.name, image.tag, "slim")
    if first is None:
        ctx.note(f"{shown}: no smaller variant in the base-image table", span)
        return df
    if isinstance(first, base_images.Refusal) and first.minimal:
        _warn_missing_on_small_base(first.family, facts, shown, ctx, span)
        return df
    if image.tag is None and image.digest:
        ctx.decline(f"not lowering {shown}: pinned by digest only, so its tag (and variant) is unknown", span)
        return df
    if isinstance(first, base_images.Refusal):
        ctx.decline(f"not lowering {shown}: {first.reason}", span)
        return df

    # Reasons that rule out every variant.
    common = facts.blockers()
    if common:
        ctx.decline(f"not lowering {shown}: {common}", span)
        return df

    native = _native_addons(facts, first, ctx)
    if native:
        ctx.decline(f"not lowering {shown}: {native}", span)
        return df

    skipped: list[str] = []
    for attempt in attempts:
        target = base_images.lower_reference(image.name, image.tag, attempt)
        if isinstance(target, base_images.Refusal) or target is None:
            if attempt != "slim":
                skipped.append(f"no {attempt}: {target.reason if target else 'not in the table'}")
            continue
        problem, packages, why = _check(target, facts, ctx)
        if problem is None:
            min_savings = ctx.option("min_savings", 5)
            saved = base_images.estimated_savings_mb(shown, str(target))
            if saved is not None and saved < min_savings:
                problem = (f"the estimated saving is about {saved:.0f} MB, below min_savings={min_savings}")
        if problem is not None:
            if attempt == "slim":
                ctx.decline(f"not lowering {shown} to {target}: {problem}", span)
                for note in skipped:
                    ctx.note(f"{shown}: {note}", span)
                return df
            skipped.append(f"no {attempt} ({target}): {problem}")
            continue
        for note in skipped:
            ctx.decline(f"{shown}: {note}; using {target} instead", span)
        return _apply(df, ctx, root, resolved, target, packages, why, facts)
    return df


# --------------------------------------------------------------------------
# Which stages the result runs on


def _runtime_chain(df, resolved, ctx) -> list[int] | None:
    """Stage indices of the runtime chain, root (external base) first."""
    final = len(df.stages) - 1
    target = ctx.settings.get("target")
    if target:
        matches = [i for i, s in enumerate(df.stages) if (s.name or "").lower() == str(target).lower()]
        if not matches:
            return None
        final = matches[0]
    chain = [final]
    while resolved[chain[-1]].parent_index is not None:
        chain.append(resolved[chain[-1]].parent_index)
    chain.reverse()
    return chain


# --------------------------------------------------------------------------
# What the runtime chain does


@define
class _Facts:
    """What the runtime chain runs, installs and copies in (read once, used by every check)."""

    chain: list[int]
    instructions: list = field(factory=list)          # every instruction of the chain, in order
    commands: dict = field(factory=dict)               # argv0 -> span of first use
    ops: list = field(factory=list)                    # (PackageOp, span)
    opaque: list = field(factory=list)                 # spans of RUNs that cannot be analysed
    runs: list = field(factory=list)                   # spans of RUN instructions
    shell_forms: list = field(factory=list)            # spans of shell-form CMD/ENTRYPOINT/HEALTHCHECK
    entrypoint: tuple | None = None                    # argv of the last exec-form ENTRYPOINT
    cmd: tuple | None = None                           # argv of the last exec-form CMD
    entry_shell: str | None = None                     # text of a shell-form ENTRYPOINT/CMD in force
    env_keys: set = field(factory=set)                 # ENV keys the chain sets
    descendants: list = field(factory=list)            # other stages built FROM a chain stage
    sources: list = field(factory=list)                # stage indices copied into the chain
    source_ops: list = field(factory=list)             # (PackageOp, span) of those stages
    source_bases: list = field(factory=list)           # their root image texts
    text: str = ""                                     # all chain instruction texts, for path checks

    @classmethod
    def collect(cls, df, resolved, chain: list[int]) -> "_Facts":
        facts = cls(chain)
        for index in chain:
            for ins in df.stages[index].instructions:
                facts.instructions.append(ins)
                facts._read(ins, facts.ops, record=True)
        # Other stages built FROM a chain stage run on the new base too (a test or build stage
        # `FROM base`): their instructions count for every check, their CMD does not.
        members = set(chain)
        for index in range(len(df.stages)):
            if index in members:
                continue
            parent = resolved[index].parent_index
            while parent is not None and parent not in members:
                parent = resolved[parent].parent_index
            if parent is not None:
                facts.descendants.append(index)
                for ins in df.stages[index].instructions:
                    facts.instructions.append(ins)
                    facts._read(ins, facts.ops, record=True, entry=False)
        # repr holds every field (paths, values, script text) whether or not the node was edited
        facts.text = "\n".join(repr(ins) for ins in facts.instructions)
        # Stages copied into the chain, and the stages they build on.
        seen: set[int] = set()
        pending = [src for index in chain for _, src in resolved[index].copy_sources if isinstance(src, int)]
        while pending:
            src = pending.pop()
            if src in seen or src in chain or src in facts.descendants:
                continue
            seen.add(src)
            pending.extend(s for _, s in resolved[src].copy_sources if isinstance(s, int))
            if resolved[src].parent_index is not None:
                pending.append(resolved[src].parent_index)
        facts.sources = sorted(seen)
        for src in facts.sources:
            if resolved[src].parent_index is None:
                facts.source_bases.append(resolved[src].base)
            for ins in df.stages[src].instructions:
                facts._read(ins, facts.source_ops, record=False)
        for index in chain:
            for _, src in resolved[index].copy_sources:
                if isinstance(src, ImageRef):
                    facts.source_bases.append(str(src))
        return facts

    def _read(self, ins, ops: list, *, record: bool, entry: bool = True) -> None:
        from dopt.packages import package_ops
        from dopt.shell import parse_script

        span = ins.span
        scripts = []
        if isinstance(ins, Run):
            if record:
                self.runs.append(span)
            if isinstance(ins.command, ShellForm):
                scripts.append(ins.command.text)
                scripts.extend(h.content for h in ins.heredocs if _feeds_shell(ins))
            else:
                scripts.extend(self._exec_scripts(ins.command.args, span, record))
        elif isinstance(ins, (Cmd, Entrypoint, Healthcheck)) and record and entry:
            command = ins.command
            if isinstance(command, ShellForm):
                self.shell_forms.append(span)
                scripts.append(command.text)
                if not isinstance(ins, Healthcheck):
                    self.entry_shell = command.text
            elif isinstance(command, ExecForm):
                scripts.extend(self._exec_scripts(command.args, span, record))
                if isinstance(ins, Entrypoint):
                    self.entrypoint = command.args
                    self.entry_shell = None
                elif isinstance(ins, Cmd):
                    self.cmd = command.args
        elif isinstance(ins, Env) and record:
            self.env_keys.update(kv.key for kv in ins.pairs)
        for text in scripts:
            script = parse_script(text)
            if script.opaque:
                if isinstance(ins, Run) and record:
                    self.opaque.append((span, script.error))
                continue
            if record:
                for c in script.commands:
                    for name in (c.argv0, c.effective_argv0):
                        if name:
                            self.commands.setdefault(name, span)
            ops.extend((op, span) for op in package_ops(script))

    def _exec_scripts(self, args: tuple[str, ...], span, record: bool) -> list[str]:
        if not args:
            return []
        argv0 = args[0].rsplit("/", 1)[-1]
        if argv0 in _SHELLS and len(args) >= 3 and args[1] == "-c":
            return [args[2]]
        if record:
            self.commands.setdefault(argv0, span)
        return []

    # -- questions -------------------------------------------------------
    def compile_reason(self) -> str | None:
        """Why the chain compiles code, or None."""
        for op, span in self.ops:
            reason = _compiles(op)
            if reason:
                return f"{reason} at {span}" if span else reason
        for name in ("node-gyp",):
            if name in self.commands:
                return f"{name} at {self.commands[name]}"
        return None

    def blockers(self) -> str | None:
        if self.opaque:
            span, error = self.opaque[0]
            return f"the RUN at {span} cannot be analysed ({error})"
        reason = self.compile_reason()
        if reason:
            return f"stage compiles code ({reason}): lower needs split first"
        return None

    def installed(self, manager: str, ops=None) -> list[str]:
        from dopt.packages import package_name

        out = []
        for op, _ in (self.ops if ops is None else ops):
            if op.manager == manager and op.action in ("install", "ci"):
                out.extend(package_name(manager, p).lower() for p in op.packages)
        return out


def _feeds_shell(ins: Run) -> bool:
    """True when a RUN's heredoc body is the shell script itself (``RUN <<EOF`` / ``RUN <<EOF bash``),
    not data for a command (``cat > f <<EOF``, ``python3 <<EOF``)."""
    words = [w for w in ins.command.text.split() if not w.startswith("<<")]
    return not words or (len(words) == 1 and words[0].rsplit("/", 1)[-1] in _SHELLS)


def _native_addons(facts: _Facts, target, ctx) -> str | None:
    """Why a Node package install in the chain may build native addons, or None.

    The full node image has python3, make and g++ for node-gyp; slim and alpine do not. npm marks
    every lockfile entry that runs an install script (node-gyp included) with ``hasInstallScript``,
    so a lockfile in the build context without one settles it.
    """
    if target.family != "node" or ctx.option("no_native", False):
        return None
    installs = [(op, span) for op, span in facts.ops
                if op.manager in ("npm", "yarn", "pnpm") and op.action in ("install", "ci")]
    if not installs:
        return None
    op, span = installs[0]
    if "--ignore-scripts" in op.options:
        return None
    context = ctx.settings.get("context_dir")
    if op.manager == "npm" and context:
        import json
        from pathlib import Path

        lock = Path(context) / "package-lock.json"
        try:
            data = json.loads(lock.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = None
        if isinstance(data, dict) and isinstance(data.get("packages"), dict):
            scripted = sorted(k.rsplit("node_modules/", 1)[-1] for k, v in data["packages"].items()
                              if k and isinstance(v, dict) and v.get("hasInstallScript"))
            if not scripted:
                return None
            return (f"{op.tool} {op.subcommand} at {span} runs install scripts of {', '.join(scripted[:3])} "
                    f"(package-lock.json), which may build native addons with node-gyp; slim has no "
                    f"python3/make/g++: lower needs split first")
    return (f"{op.tool} {op.subcommand} at {span} may build native addons with node-gyp (the full image "
            f"has python3, make and g++; the smaller one does not); run split first, or pass "
            f"lower<no_native> if the dependencies have no install scripts")


def _compiles(op) -> str | None:
    from dopt.packages import build_tools

    if op.manager == "native":
        return op.tool
    if op.manager == "java" and op.tool == "javac":
        return "javac"
    if op.manager in ("go", "cargo") and op.action in ("build", "install"):
        return f"{op.manager} {op.action}"
    if op.manager in ("maven", "gradle") and op.action in ("build", "download"):
        return f"{op.tool} build"
    if op.manager == "npm" and op.action == "build":
        return "npm rebuild"
    if op.manager == "pip":
        if op.action == "build":
            return "pip wheel"
        if any(o.startswith("--no-binary") for o in op.options):
            return "pip install --no-binary"
        for spec in op.packages + op.local_paths:
            if _SDIST.search(spec.strip()):
                return f"pip install of the sdist {spec}"
    if op.manager in _SYSTEM_MANAGERS and op.action in ("install", "build-dep"):
        tools = build_tools([op])
        if tools:
            return f"{op.tool} install {' '.join(tools)}"
    return None


# --------------------------------------------------------------------------
# Checks for one target


def _check(target, facts: _Facts, ctx) -> tuple[str | None, list[str], list[str]]:
    """(problem or None, packages to add, why each group of packages is added)."""
    entry = base_images.family(target.family) or {}
    if target.kind == "runtime":
        used = sorted(n for n in facts.commands if n in _JDK_TOOLS)
        if used:
            return f"the stage uses JDK tools ({', '.join(used)}) a JRE does not have", [], []
    if target.kind == "build-tool":
        argv = _effective_command(facts)
        if not argv or argv[0].rsplit("/", 1)[-1] != "java" or "-jar" not in argv:
            return "the final stage does not just run a jar (java -jar ...)", [], []
    if target.cross_vendor and facts.runs:
        return (f"{target} is a different build or distribution and the stage has RUN instructions "
                f"(first at {facts.runs[0]})"), [], []
    for key, old in target.env_old.items():
        if key in base_images.table()["meta"]["locale_env"]:
            continue
        new = target.env_new.get(key)
        if new != old and old and old in facts.text:
            return f"the stage refers to {old} ({key} of the old base; {target} has {new or 'none'})", [], []

    if target.variant == "alpine":
        if any(op.manager == "apt" for op, _ in facts.ops) or "dpkg" in facts.commands:
            return "the stage uses apt/dpkg, which alpine does not have", [], []
        if any(op.manager == "pip" and op.action == "install" for op, _ in facts.ops):
            return "pip wheels built for glibc (manylinux) do not fit musl", [], []
        glibc = [b for b in facts.source_bases if "alpine" not in b]
        if glibc:
            return f"files copied in were built on a glibc base ({glibc[0]})", [], []
    if target.variant == "distroless":
        if facts.runs:
            return f"distroless has no shell for the RUN at {facts.runs[0]}", [], []
        if facts.shell_forms:
            return f"distroless has no /bin/sh for the shell form at {facts.shell_forms[0]}", [], []
        if any(isinstance(i, Shell) for i in facts.instructions):
            return "distroless has no shell for SHELL", [], []
        allowed = base_images.family(target.family).get("distroless_argv0", {}).get("names", [])
        if facts.entrypoint is None:
            return (f"{target} has its own ENTRYPOINT; the stage needs an exec-form ENTRYPOINT "
                    f"({' or '.join(allowed)} ...)"), [], []
        if facts.entrypoint[0] not in allowed:
            return f"{facts.entrypoint[0]} is not where {target} has it ({', '.join(allowed)})", [], []

    packages, why = _needed_packages(entry, facts, ctx)
    if packages and not target.apt:
        return f"it lacks {', '.join(packages)} and apt-get cannot add them there", [], []
    return None, packages, why


def _effective_command(facts: _Facts) -> tuple[str, ...] | None:
    if facts.entry_shell is not None:
        return tuple(facts.entry_shell.split())
    if facts.entrypoint is not None:
        return tuple(facts.entrypoint) + tuple(facts.cmd or ())
    return facts.cmd


def _needed_packages(entry: dict, facts: _Facts, ctx) -> tuple[list[str], list[str]]:
    """Packages the smaller base must get back, and one reason per source of them."""
    from dopt.packages import package_name, runtime_packages_for

    have = set(facts.installed("apt"))
    wanted: dict[str, None] = {}
    why: list[str] = []

    def add(packages, reason):
        fresh = [p for p in packages if p not in have and p not in wanted]
        for p in fresh:
            wanted[p] = None
        if fresh:
            why.append(f"{', '.join(fresh)}: {reason}")

    commands = entry.get("commands", {})
    for name in facts.commands:
        if name in commands:
            add(commands[name], f"{name} is called (at {facts.commands[name]}) and the smaller base lacks it")
    runtime_map = {_norm(k): v for k, v in entry.get("runtime_map", {}).items()}
    for manager in ("pip", "npm"):
        names = facts.installed(manager) + facts.installed(manager, facts.source_ops)
        for n in names:
            hit = runtime_map.get(_norm(package_name(manager, n)))
            if hit:
                add(hit, f"{n} binaries link it and the smaller base lacks it")
    dev = [p for op, _ in facts.source_ops if op.manager == "apt" and op.action == "install"
           for p in op.packages]
    libs = runtime_packages_for(dev)
    if libs:
        add(libs, "runtime libraries of the -dev packages a copied-from stage built against")
    user = ctx.settings.get("runtime_deps") or ()
    if isinstance(user, str):
        user = [p for p in re.split(r"[,\s]+", user) if p]
    if user:
        add(list(user), "listed in runtime_deps")
    return list(wanted), why


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.lower())


def _warn_missing_on_small_base(family_name, facts, shown, ctx, span) -> None:
    """The base is already small: nothing to lower, but say what it lacks that the stage needs (B64)."""
    entry = base_images.family(family_name) if family_name else None
    if not entry or facts.opaque or "alpine" in shown.rsplit(":", 1)[-1]:
        return  # alpine names its packages differently (apk); the apt advice would be wrong
    packages, why = _needed_packages(entry, facts, _NoDeps(ctx))
    if packages:
        ctx.warn(f"{shown} lacks {', '.join(packages)} ({'; '.join(why)}); install it in this stage", span)


class _NoDeps:
    """A context view without ``runtime_deps`` (they apply to a base lower swaps, not to the input's)."""

    def __init__(self, ctx):
        self.settings = {k: v for k, v in ctx.settings.items() if k != "runtime_deps"}


# --------------------------------------------------------------------------
# Rewriting


def _apply(df, ctx, root: int, resolved, target, packages: list[str], why: list[str], facts: _Facts):
    from dopt.variables import global_args

    stage = df.stages[root]
    from_ = stage.from_
    span = from_.span
    old = resolved[root].image
    shown = str(old)
    raw = from_.image.raw
    new_plain = str(target)
    if "$" in raw:
        env = {k: v for k, v in global_args(df).items() if v is not None}
        env.update(ctx.settings.get("build_args") or {})
        new_raw, problem = _rewrite_parametrized(raw, env, df.escape, old, new_plain)
        if new_raw is None:
            ctx.decline(f"not lowering {raw} (= {shown}) to {new_plain}: {problem}", span)
            return df
    else:
        new_raw = new_plain
    from dopt.variables import parse_image_ref

    new_image = parse_image_ref(new_raw, new_plain)
    new_from = from_.edit(image=new_image)

    added = []
    locale = base_images.table()["meta"]["locale_env"]
    pairs = []
    for key in locale:
        before, after = target.env_old.get(key, ""), target.env_new.get(key, "")
        if before != after and key not in facts.env_keys:
            pairs.append(KeyValue(key, before))
    if pairs:
        keyword = "ENV" if from_.keyword.isupper() or not from_.keyword else "env"
        added.append(Env(keyword=keyword, pairs=tuple(pairs)))
    if packages:
        keyword = "RUN" if from_.keyword.isupper() or not from_.keyword else "run"
        text = base_images.table()["meta"]["apt_install"].format(packages=" ".join(packages))
        added.append(Run(keyword=keyword, command=ShellForm(text)))

    df = replace_stage(df, root, stage.edit(from_=new_from, instructions=tuple(added) + stage.instructions))

    saved = base_images.estimated_savings_mb(shown, new_plain)
    meta = base_images.table()["meta"]
    size = (f" (about {saved:.0f} MB smaller compressed; approximate, {meta['sizes_platform']}, "
            f"sizes as of {meta['sizes_as_of']})") if saved else ""
    ctx.changed(f"base {shown} -> {new_plain}{size}", span)
    if old.digest:
        ctx.warn(f"DIGEST DROPPED: {shown} was pinned by @{old.digest}; that digest names the old image, "
                 f"so {new_plain} is now unpinned -- pin its digest again (docker buildx imagetools "
                 f"inspect {new_plain})", span)
    if target.cross_vendor:
        ctx.note(f"{new_plain} is a different build/distribution than {shown}; verify the image", span)
    if pairs:
        ctx.changed("added ENV " + " ".join(f"{p.key}={p.value}" for p in pairs)
                    + f": {shown} set these and {new_plain} does not (or differently)", span)
    if packages:
        ctx.changed(f"added RUN apt-get install {' '.join(packages)} after the FROM: " + "; ".join(why), span)
    return df


def _segments(raw: str) -> list[tuple[str, bool]]:
    """Split ``raw`` into literal text and ``$VAR`` / ``${...}`` references (nesting allowed)."""
    out: list[tuple[str, bool]] = []
    i, literal = 0, []
    while i < len(raw):
        ch = raw[i]
        if ch == "$" and i + 1 < len(raw) and raw[i + 1] == "{":
            depth, j = 0, i + 1
            while j < len(raw):
                if raw[j] == "{":
                    depth += 1
                elif raw[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if literal:
                out.append(("".join(literal), False))
                literal = []
            out.append((raw[i:j + 1], True))
            i = j + 1
            continue
        m = re.match(r"\$[A-Za-z_][A-Za-z0-9_]*", raw[i:]) if ch == "$" else None
        if m:
            if literal:
                out.append(("".join(literal), False))
                literal = []
            out.append((m.group(0), True))
            i += len(m.group(0))
            continue
        literal.append(ch)
        i += 1
    if literal:
        out.append(("".join(literal), False))
    return out


def _rewrite_parametrized(raw: str, env: dict, escape: str, old: ImageRef, new_plain: str
                          ) -> tuple[str | None, str]:
    """Rewrite a FROM image that uses ``$VARS`` by editing only its literal text.

    Returns ``(new raw, "")`` or ``(None, reason)``. The repository must be literal (the tag part
    may come from ARG), and every variable's default value must survive unchanged in the new text.

    >>> from dopt.variables import parse_image_ref
    >>> _rewrite_parametrized("python:${PY}", {"PY": "3.11"}, "\\\\", parse_image_ref("python:3.11"), "python:3.11-slim")
    ('python:${PY}-slim', '')
    >>> _rewrite_parametrized("python:${TAG}", {"TAG": "3.11-bookworm"}, "\\\\",
    ...     parse_image_ref("python:3.11-bookworm"), "python:3.11-slim-bookworm")[1]
    'the change falls inside ${TAG}; it cannot be made by editing the literal text'
    """
    from dopt.variables import WordError, expand

    first_var = raw.index("$")
    literal_head = raw[:first_var]
    if ":" not in literal_head.rsplit("/", 1)[-1]:
        return None, "the image name comes from a build argument, so lower cannot know which image is built"
    segments = _segments(raw)
    spans: list[tuple[int, int, str, bool]] = []
    pos = 0
    try:
        for text, is_var in segments:
            value = expand(text, env, escape=escape) if is_var else text
            spans.append((pos, pos + len(value), text, is_var))
            pos += len(value)
            if not is_var and ("\\" in text or "'" in text or '"' in text or "@" in text):
                return None, "the reference has quoting, escapes or a digest around a variable"
            if is_var and "@" in value:
                return None, f"{text} carries a digest"
    except WordError as e:
        return None, str(e)
    old_text = "".join(
        (expand(t, env, escape=escape) if v else t) for t, v in segments)
    if old_text != str(old):
        return None, f"{raw} expands to {old_text}, not {old}"
    matcher = difflib.SequenceMatcher(None, old_text, new_plain, autojunk=False)
    opcodes = matcher.get_opcodes()
    out: list[str] = []
    for tag, i1, i2, j1, j2 in opcodes:
        if tag != "equal":
            for s, e, text, is_var in spans:
                if is_var and s < i2 and e > i1:
                    return None, f"the change falls inside {text}; it cannot be made by editing the literal text"
            out.append(new_plain[j1:j2])
            continue
        i = i1
        while i < i2:
            var = next(((s, e, t) for s, e, t, v in spans if v and s == i and e > s), None)
            if var is not None:
                if var[1] > i2:
                    return None, f"the change falls inside {var[2]}; it cannot be made by editing the literal text"
                out.append(var[2])
                i = var[1]
            else:
                out.append(old_text[i])
                i += 1
    # variables that expand to nothing keep their place at the end (BuildKit would expand them to "")
    for s, e, text, is_var in spans:
        if is_var and s == e:
            return None, f"{text} expands to an empty string"
    return "".join(out), ""
