"""The dependency graph: one test per kind of edge, barrier RUNs, path resolution, and the DOT output."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dopt import parse_text
from dopt.analysis.graph import (FS, StageState, build_graph, depends_on, join_path, parse_run, paths_overlap,
                                 resolve_word, run_effects, to_dot)


def graph_of(text: str):
    return build_graph(parse_text(text))


def edge(g, a: int, b: int, stage: int = 0):
    return g.get_edge_data((stage, a), (stage, b))


def kinds(g, a, b, stage=0) -> set[str]:
    data = edge(g, a, b, stage)
    return set(data["kinds"]) if data else set()


def test_nodes_carry_kind_line_text_and_stage_lists():
    g = graph_of("ARG V=1\nFROM alpine:$V AS base\nRUN echo hi\nFROM base\nLABEL a=b\n")
    assert g.graph["preamble"] == [(-1, 0)]
    assert g.graph["stages"] == [[(0, 0), (0, 1)], [(1, 0), (1, 1)]]
    assert g.nodes[(0, 1)]["kind"] == "RUN" and g.nodes[(0, 1)]["line"] == 3
    assert g.nodes[(0, 1)]["text"] == "RUN echo hi"


def test_flow_edge_copy_then_run_reading_it():
    g = graph_of("FROM python\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n")
    assert "flow" in kinds(g, 2, 3)
    assert "fs /app" in " ".join(edge(g, 2, 3)["why"])


def test_output_edge_two_writers():
    g = graph_of("FROM a\nRUN echo 1 > /etc/x.conf\nRUN echo 2 > /etc/x.conf\n")
    assert "output" in kinds(g, 1, 2)


def test_anti_edge_reader_then_writer():
    g = graph_of("FROM a\nRUN cat /srv/data > /dev/null\nCOPY data /srv/data\n")
    assert kinds(g, 1, 2) == {"anti"}


def test_independent_instructions_have_no_edge():
    g = graph_of("FROM a\nCOPY a /x/\nCOPY b /y/\nRUN mkdir -p /z\nEXPOSE 80\n")
    for a, b in ((1, 2), (1, 3), (2, 3), (3, 4), (1, 4)):
        assert not edge(g, a, b), (a, b)


def test_system_packages_touch_system_areas_not_app_dirs():
    g = graph_of("FROM debian\nCOPY . /app\nRUN apt-get update && apt-get install -y curl\n"
                 "RUN pip install flask\n")
    assert not edge(g, 1, 2)  # apt and /app
    assert "flow" in kinds(g, 2, 3)  # pip reads what apt installed under /usr


def test_dependency_install_reads_everything_and_writes_its_areas():
    e, _ = run_effects(parse_run("RUN npm ci"), StageState(cwd="/srv"))
    assert (FS, "/") in e.reads and (FS, "/srv/node_modules") in e.writes and (FS, "/srv") not in e.writes
    e, _ = run_effects(parse_run("RUN pip install --target=/deps flask"), StageState(cwd="/"))
    assert (FS, "/deps") in e.writes and (FS, "/") not in e.reads
    e, _ = run_effects(parse_run("RUN go mod download"), StageState(cwd="/src", tool_dirs=("/gopath",)))
    assert (FS, "/gopath") in e.writes


def test_venv_from_env_is_an_install_location():
    g = graph_of("FROM python\nENV PATH=/opt/venv/bin:$PATH\nCOPY x /opt/venv/marker\nRUN pip install flask\n")
    assert "output" in kinds(g, 2, 3) or "flow" in kinds(g, 2, 3)


def test_env_definition_to_use():
    g = graph_of("FROM a\nENV APP=/srv\nCOPY x $APP/\nENV B=$APP\nLABEL v=1\n")
    assert "flow" in kinds(g, 1, 2) and "var APP" in edge(g, 1, 2)["why"]
    assert "flow" in kinds(g, 1, 3)
    assert not edge(g, 1, 4)


def test_every_run_reads_every_earlier_env():
    g = graph_of("FROM a\nENV DEBIAN_FRONTEND=noninteractive\nENV UNUSED=1\nRUN mkdir /x\n")
    assert "flow" in kinds(g, 1, 3) and "flow" in kinds(g, 2, 3)
    # and an ENV after a RUN may not move before it (the RUN would see it)
    g = graph_of("FROM a\nRUN mkdir /x\nENV LATE=1\n")
    assert kinds(g, 1, 2) == {"anti"}


def test_arg_edges_global_to_from_and_redeclared():
    g = graph_of("ARG V=3.19\nFROM alpine:$V\nARG V\nRUN echo $V\n")
    assert "flow" in g.edges[(-1, 0), (0, 0)]["kinds"]
    assert g.has_edge((-1, 0), (0, 1))
    assert g.has_edge((0, 1), (0, 2))


@pytest.mark.parametrize("state_line", ["WORKDIR /app", "USER nobody", "SHELL [\"/bin/bash\", \"-c\"]"])
def test_workdir_user_shell_order_everything_after(state_line):
    g = graph_of(f"FROM a\nLABEL a=b\n{state_line}\nEXPOSE 80\nCOPY x /x\n")
    assert g.has_edge((0, 2), (0, 3)) and g.has_edge((0, 2), (0, 4))
    assert kinds(g, 1, 2) == {"anti"}  # the LABEL may not move after it either


def test_stage_references():
    g = graph_of("FROM golang AS build\nRUN go build -o /out/app .\nFROM build AS test\nRUN go vet ./...\n"
                 "FROM alpine\nCOPY --from=build /out/app /app\nRUN --mount=from=test,target=/t cat /t/x\n"
                 "COPY --from=0 /out/app /app2\nCOPY --from=nginx:latest /etc/nginx /etc/nginx\n")
    assert "stage" in g.edges[(0, 1), (1, 0)]["kinds"]
    assert "stage" in g.edges[(0, 1), (2, 1)]["kinds"]
    assert "stage" in g.edges[(1, 1), (2, 2)]["kinds"]
    assert "stage" in g.edges[(0, 1), (2, 3)]["kinds"]
    assert not any(a[0] != 2 for a, _ in g.in_edges((2, 4)))  # an image, not a stage


def test_barrier_runs_read_and_write_everything():
    for line, why in [("RUN ./install.sh", "install.sh"), ("RUN make -j4", "make"),
                      ("RUN case $x in a) b;; esac", "cannot be analysed"), ("RUN $TOOL run", "computed"),
                      ("RUN npm run build", "npm run"), ("RUN python -m app info", "python"),
                      ("RUN f() { x; }; f", "functions")]:
        e, _ = run_effects(parse_run(line), StageState(cwd="/app"))
        assert e.barrier and why in e.barrier, (line, e.barrier)
        assert (FS, "/") in e.reads and (FS, "/") in e.writes
    g = graph_of("FROM a\nCOPY a /a\nRUN ./install.sh\nCOPY b /b\nLABEL x=y\n")
    assert edge(g, 1, 2) and edge(g, 2, 3) and not edge(g, 2, 4)
    assert g.nodes[(0, 2)]["barrier"]


def test_non_posix_shell_makes_run_a_barrier():
    g = graph_of("FROM mcr.microsoft.com/windows\nSHELL [\"pwsh\", \"-Command\"]\nRUN Write-Host hi\n")
    assert "not a POSIX shell" in g.nodes[(0, 2)]["barrier"]


def test_exec_form_and_heredoc_runs_are_analysed():
    e, _ = run_effects(parse_run('RUN ["mkdir", "-p", "/data"]'), StageState(cwd="/"))
    assert e.fs_writes() == ("/data",) and not e.barrier
    e, _ = run_effects(parse_run('RUN ["/bin/sh", "-c", "echo hi > /x"]'), StageState(cwd="/"))
    assert e.fs_writes() == ("/x",)
    e, _ = run_effects(parse_run("RUN <<EOF\nmkdir -p /h\ntouch /h/f\nEOF"), StageState(cwd="/"))
    assert e.fs_writes() == ("/h", "/h/f")
    e, _ = run_effects(parse_run("RUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF"), StageState(cwd="/"))
    assert e.barrier


def test_relative_paths_follow_workdir_and_cd():
    e, parts = run_effects(parse_run("RUN cd sub && touch a && tar -xzf /tmp/x.tgz -C /opt"), StageState(cwd="/srv"))
    assert (FS, "/srv/sub/a") in e.writes and (FS, "/opt") in e.writes
    assert parts[-1].cwds == ("/srv", "/srv/sub")


def test_file_utilities():
    cases = {
        "RUN cp /a /b": ({"/a", "/b"}, {"/b"}),
        "RUN mv /a /b": ({"/a", "/b"}, {"/a", "/b"}),
        "RUN ln -s /opt/x/bin/x /usr/local/bin/x": ({"/opt/x/bin/x", "/usr/local/bin/x"}, {"/usr/local/bin/x"}),
        "RUN chmod +x /usr/local/bin/x": ({"/usr/local/bin/x"}, {"/usr/local/bin/x"}),
        "RUN rm -rf /var/lib/apt/lists/*": ({"/var/lib/apt/lists"}, {"/var/lib/apt/lists"}),
        "RUN sed -i s/a/b/ /etc/x.conf": ({"/etc/x.conf", "/s/a/b"}, {"/etc/x.conf", "/s/a/b"}),
        "RUN curl -fsSL -o /tmp/k.gpg https://example.com/k": (set(), {"/tmp/k.gpg", "/"}),
    }
    for line, (reads, writes) in cases.items():
        e, _ = run_effects(parse_run(line), StageState(cwd="/"))
        assert not e.barrier, line
        assert set(e.fs_reads()) >= reads and set(e.fs_writes()) >= writes, (line, e)


def test_copy_destinations_and_chown():
    g = graph_of("FROM a\nRUN useradd app\nWORKDIR /srv\nCOPY --chown=app a.txt b.txt ./\n")
    node = g.nodes[(0, 3)]
    assert node["effects"].fs_writes() == ("/srv",)
    assert g.has_edge((0, 1), (0, 3))  # /etc/passwd


def test_unknown_base_workdir_is_symbolic():
    g = graph_of("FROM python\nCOPY . .\nRUN pip install -r requirements.txt\nCOPY x /opt/x\n")
    assert g.nodes[(0, 1)]["effects"].fs_writes() == ("<wd0>",)
    assert "flow" in kinds(g, 1, 2)
    assert edge(g, 1, 3)  # /opt/x may lie inside the unknown WORKDIR


def test_path_helpers():
    assert paths_overlap("/app", "/app/a") and not paths_overlap("/app", "/apps")
    assert paths_overlap("<wd1>/x", "/x") and not paths_overlap("<wd1>/x", "<wd1>/y")
    assert join_path("/a/b", "../c") == "/a/c" and join_path("<wd0>", "../..") == "/"
    assert resolve_word("${HOME}/x", ["/"], {}) == ["/"]
    assert resolve_word("lib/*.so", ["/usr"], {}) == ["/usr/lib"]


def test_depends_on_is_transitive():
    g = graph_of("FROM a\nRUN mkdir /x\nRUN touch /x/y\nRUN cat /x/y > /z\n")
    assert depends_on(g, (0, 3), (0, 1)) and not depends_on(g, (0, 1), (0, 3))


def test_dot_output_is_valid_and_names_reasons():
    g = graph_of('ARG V=1\nFROM a:$V AS b\nCOPY "x y" /app/\nRUN ./configure && make\nFROM b\nLABEL q="a\\"b"\n')
    dot = to_dot(g)
    assert dot.startswith("digraph dopt {") and dot.rstrip().endswith("}")
    assert "subgraph cluster_s0" in dot and "subgraph cluster_s1" in dot and "cluster_preamble" in dot
    assert 'fillcolor="#f4cccc"' in dot  # the barrier RUN
    assert '"0:1" -> "0:2"' in dot and "fs " in dot and "stage" in dot
    assert dot.count("{") == dot.count("}")
    # every quoted DOT id/label is closed: strip escaped quotes, then quotes pair up on each line
    for line in dot.splitlines():
        assert line.replace('\\\\', '').replace('\\"', '').count('"') % 2 == 0, line


def test_compile_dump_graph_writes_dot(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM alpine\nRUN apk add --no-cache curl\nCOPY . /app\n")
    out = tmp_path / "g.dot"
    proc = subprocess.run([sys.executable, "-m", "dopt", "compile", str(dockerfile), "-O0", "--dump-graph", str(out)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text().startswith("digraph dopt {")
