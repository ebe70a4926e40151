"""Package-manager facts: one table row per manager and flag."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from dopt.packages import (
    PackageOp, ambiguous_tools, build_only_packages, build_tools, extract_package_managers,
    is_local_path, package_name, package_ops, runtime_packages_for, unmapped_build_packages,
)
from dopt.shell import parse_script

CASES = Path(__file__).parent / "cases"
DATA = Path(__file__).parent.parent / "dopt" / "data" / "runtime_libs.toml"


def ops(text: str) -> tuple[PackageOp, ...]:
    s = parse_script(text)
    assert not s.opaque, s.error
    return package_ops(s)


def one(text: str) -> PackageOp:
    result = ops(text)
    assert len(result) == 1, result
    return result[0]


def facts(op: PackageOp, *names: str) -> dict:
    return {n: getattr(op, n) for n in names}


# Each row: command, expected (manager, action), expected field values.
ROWS = [
    # ---- apt
    ("apt-get update", ("apt", "update"), {}),
    ("apt-get install -y curl", ("apt", "install"), {"packages": ("curl",), "assume_yes": True}),
    ("apt-get install --yes curl", ("apt", "install"), {"assume_yes": True}),
    ("apt-get install --assume-yes curl", ("apt", "install"), {"assume_yes": True}),
    ("apt-get -qq install curl", ("apt", "install"), {"assume_yes": True}),  # -qq implies -y
    ("apt-get -q install curl", ("apt", "install"), {"assume_yes": False}),
    ("apt-get install curl", ("apt", "install"), {"assume_yes": False, "no_install_recommends": False}),
    ("apt-get -qqy install --no-install-recommends python3=3.11.2-1 ca-certificates", ("apt", "install"),
     {"packages": ("python3=3.11.2-1", "ca-certificates"), "assume_yes": True, "no_install_recommends": True}),
    ("apt-get -o APT::Install-Recommends=false install -y x", ("apt", "install"),
     {"no_install_recommends": True, "packages": ("x",)}),
    ("apt-get -o Dpkg::Options::=--force-confold -y install x", ("apt", "install"), {"packages": ("x",)}),
    ("apt install -y $BUILD_DEPS", ("apt", "install"), {"packages": ("$BUILD_DEPS",), "tool": "apt"}),
    ("/usr/bin/apt-get install -y x", ("apt", "install"), {"tool": "apt-get"}),
    ("sudo -E apt-get install -y x", ("apt", "install"), {"packages": ("x",)}),
    ("DEBIAN_FRONTEND=noninteractive apt-get install -y x", ("apt", "install"),
     {"env": ("DEBIAN_FRONTEND=noninteractive",)}),
    ("apt-get purge -y --auto-remove gcc", ("apt", "purge"), {"packages": ("gcc",)}),
    ("apt-get remove --purge -y gcc", ("apt", "purge"), {"packages": ("gcc",)}),
    ("apt-get remove -y gcc", ("apt", "remove"), {"packages": ("gcc",)}),
    ("apt-get autoremove -y", ("apt", "autoremove"), {"assume_yes": True}),
    ("apt-get clean", ("apt", "clean"), {}),
    ("apt-get dist-upgrade -y", ("apt", "dist-upgrade"), {}),
    ("apt-get upgrade -y", ("apt", "upgrade"), {}),
    ("apt full-upgrade -y", ("apt", "dist-upgrade"), {}),
    ("xx-apt-get install -y gcc", ("apt", "install"), {"tool": "xx-apt-get", "packages": ("gcc",)}),
    # ---- apk
    ("apk add --no-cache curl", ("apk", "install"), {"packages": ("curl",), "no_cache": True}),
    ("apk add --virtual .build-deps gcc musl-dev", ("apk", "install"),
     {"virtual": ".build-deps", "packages": ("gcc", "musl-dev"), "no_cache": False}),
    ("apk add -t .deps gcc", ("apk", "install"), {"virtual": ".deps", "packages": ("gcc",)}),
    ("apk --update add ca-certificates", ("apk", "install"), {"packages": ("ca-certificates",)}),
    ("apk del .build-deps", ("apk", "remove"), {"packages": (".build-deps",)}),
    ("apk update", ("apk", "update"), {}),
    ("apk cache clean", ("apk", "clean"), {"subcommand": "cache clean"}),
    ("apk upgrade --no-cache", ("apk", "upgrade"), {"no_cache": True}),
    ("xx-apk add --no-cache musl-dev", ("apk", "install"), {"tool": "xx-apk", "packages": ("musl-dev",)}),
    # ---- yum / dnf / microdnf / zypper
    ("yum install -y httpd", ("yum", "install"), {"packages": ("httpd",), "assume_yes": True}),
    ("yum remove -y httpd", ("yum", "remove"), {"packages": ("httpd",)}),
    ("yum clean all", ("yum", "clean"), {"arguments": ("all",)}),
    ("dnf install -y --setopt=install_weak_deps=False python3", ("dnf", "install"),
     {"no_install_recommends": True, "packages": ("python3",)}),
    ("dnf --setopt=keepcache=0 install -y x", ("dnf", "install"), {"no_cache": True}),
    ("dnf clean all", ("dnf", "clean"), {}),
    ("microdnf install -y --nodocs shadow-utils", ("microdnf", "install"),
     {"packages": ("shadow-utils",), "assume_yes": True}),
    ("microdnf clean all", ("microdnf", "clean"), {}),
    ("zypper --non-interactive install --no-recommends git", ("zypper", "install"),
     {"assume_yes": True, "no_install_recommends": True, "packages": ("git",)}),
    ("zypper -n in vim", ("zypper", "install"), {"assume_yes": True}),
    ("zypper rm -y vim", ("zypper", "remove"), {"packages": ("vim",)}),
    ("zypper clean --all", ("zypper", "clean"), {}),
    # ---- pip
    ("pip install flask", ("pip", "install"), {"packages": ("flask",)}),
    ("pip3 install torch==2.0.0 'uvicorn[standard]>=0.23'", ("pip", "install"),
     {"packages": ("torch==2.0.0", "uvicorn[standard]>=0.23"), "tool": "pip3"}),
    ("pip3.11 install x", ("pip", "install"), {"tool": "pip3.11"}),
    ("python -m pip install --upgrade pip", ("pip", "install"), {"packages": ("pip",), "tool": "python"}),
    ("python3 -m pip install x", ("pip", "install"), {"tool": "python3"}),
    ("/usr/local/bin/python3.11 -m pip install x", ("pip", "install"), {"packages": ("x",)}),
    ("uv pip install --system -r requirements.txt", ("pip", "install"),
     {"tool": "uv", "global_install": True, "requirement_files": ("requirements.txt",)}),
    ("pip install --user gunicorn", ("pip", "install"), {"user": True}),
    ("pip install --prefix=/install -r requirements.txt", ("pip", "install"), {"prefix": "/install"}),
    ("pip install --prefix /install x", ("pip", "install"), {"prefix": "/install", "packages": ("x",)}),
    ("pip install --target /deps x", ("pip", "install"), {"target": "/deps"}),
    ("pip install -t /deps x", ("pip", "install"), {"target": "/deps"}),
    ("pip install -r requirements.txt -r dev.txt", ("pip", "install"),
     {"requirement_files": ("requirements.txt", "dev.txt"), "packages": (), "local_paths": ()}),
    ("pip install --requirement=requirements.txt", ("pip", "install"), {"requirement_files": ("requirements.txt",)}),
    ("pip install -Ur requirements.txt", ("pip", "install"), {"requirement_files": ("requirements.txt",), "packages": ()}),
    ("pip install -c constraints.txt x", ("pip", "install"), {"constraint_files": ("constraints.txt",)}),
    ("pip install -e .", ("pip", "install"), {"editable": True, "local_paths": (".",)}),
    ("pip install -e git+https://github.com/x/y.git#egg=y", ("pip", "install"),
     {"editable": True, "packages": ("git+https://github.com/x/y.git#egg=y",), "local_paths": ()}),
    ("pip install .", ("pip", "install"), {"local_paths": (".",), "editable": False}),
    ("pip install ./pkg /abs/pkg dist/app-1.0-py3-none-any.whl pkg.tar.gz", ("pip", "install"),
     {"local_paths": ("./pkg", "/abs/pkg", "dist/app-1.0-py3-none-any.whl", "pkg.tar.gz"), "packages": ()}),
    ("pip install --no-cache-dir x", ("pip", "install"), {"no_cache": True}),
    ("PIP_NO_CACHE_DIR=1 pip install x", ("pip", "install"), {"no_cache": True}),
    ("pip install x", ("pip", "install"), {"no_cache": False}),
    ("pip install --no-binary :all: psycopg2", ("pip", "install"), {"packages": ("psycopg2",)}),
    ("pip uninstall -y x", ("pip", "remove"), {"packages": ("x",), "assume_yes": True}),
    ("pip wheel --wheel-dir /wheels -r requirements.txt", ("pip", "build"),
     {"requirement_files": ("requirements.txt",)}),
    ("pip download -d /pkgs x", ("pip", "download"), {"packages": ("x",)}),
    # ---- poetry / pipenv / uv
    ("poetry install --no-root --only main", ("poetry", "install"), {"production": True}),
    ("poetry install --without dev", ("poetry", "install"), {"production": True}),
    ("poetry install --without=dev,test --no-interaction", ("poetry", "install"),
     {"production": True, "assume_yes": True}),
    ("poetry install --no-dev", ("poetry", "install"), {"production": True}),
    ("poetry install", ("poetry", "install"), {"production": False}),
    ("poetry add requests", ("poetry", "install"), {"packages": ("requests",)}),
    ("poetry export -f requirements.txt -o requirements.txt", ("poetry", "export"),
     {"output": "requirements.txt"}),
    ("pipenv install --deploy --system", ("pipenv", "install"), {"global_install": True, "production": True}),
    ("pipenv install --dev", ("pipenv", "install"), {"production": False}),
    ("uv sync --frozen --no-dev", ("uv", "install"), {"production": True}),
    # ---- conda family
    ("conda install -y -c conda-forge numpy=1.26 scipy", ("conda", "install"),
     {"packages": ("numpy=1.26", "scipy"), "assume_yes": True}),
    ("conda create -y -n app python=3.11", ("conda", "create"), {"packages": ("python=3.11",)}),
    ("conda env create -f environment.yml", ("conda", "create"),
     {"requirement_files": ("environment.yml",), "subcommand": "env create"}),
    ("conda clean -afy", ("conda", "clean"), {"assume_yes": True, "requirement_files": ()}),
    ("conda clean --all --yes", ("conda", "clean"), {"assume_yes": True}),
    ("mamba install -y numpy", ("conda", "install"), {"tool": "mamba", "packages": ("numpy",)}),
    ("micromamba install -y -n base -f /tmp/env.yaml", ("conda", "install"),
     {"tool": "micromamba", "requirement_files": ("/tmp/env.yaml",), "packages": ()}),
    ("micromamba clean --all --yes", ("conda", "clean"), {}),
    # ---- npm
    ("npm ci", ("npm", "ci"), {"production": False}),
    ("npm ci --omit=dev", ("npm", "ci"), {"production": True}),
    ("npm ci --omit dev", ("npm", "ci"), {"production": True}),
    ("npm ci --only=production", ("npm", "ci"), {"production": True}),
    ("npm install --production", ("npm", "install"), {"production": True, "packages": ()}),
    ("NODE_ENV=production npm install", ("npm", "install"), {"production": True}),
    ("npm install --production=false", ("npm", "install"), {"production": False}),
    ("npm install", ("npm", "install"), {"packages": ()}),
    ("npm i express lodash@4", ("npm", "install"), {"packages": ("express", "lodash@4"), "subcommand": "i"}),
    ("npm install -g typescript @types/node", ("npm", "install"),
     {"global_install": True, "packages": ("typescript", "@types/node")}),
    ("npm install --global pm2", ("npm", "install"), {"global_install": True}),
    ("npm install ./local-pkg.tgz", ("npm", "install"), {"local_paths": ("./local-pkg.tgz",), "packages": ()}),
    ("npm cache clean --force", ("npm", "clean"), {"subcommand": "cache clean"}),
    ("npm run build", ("npm", "run-script"), {"script": "build"}),
    ("npm run lint -- --fix", ("npm", "run-script"), {"script": "lint", "arguments": ("--fix",)}),
    ("npm run-script compile", ("npm", "run-script"), {"script": "compile"}),
    ("npm test", ("npm", "run-script"), {"script": "test"}),
    ("npm prune --production", ("npm", "prune"), {"production": True}),
    ("npm uninstall left-pad", ("npm", "remove"), {"packages": ("left-pad",)}),
    # ---- yarn
    ("yarn", ("yarn", "install"), {}),
    ("yarn install --frozen-lockfile", ("yarn", "install"), {"options": frozenset({"--frozen-lockfile"})}),
    ("yarn install --immutable --production", ("yarn", "install"), {"production": True}),
    ("yarn add react", ("yarn", "install"), {"packages": ("react",)}),
    ("yarn global add serve", ("yarn", "install"), {"global_install": True, "packages": ("serve",)}),
    ("yarn cache clean", ("yarn", "clean"), {}),
    ("yarn build", ("yarn", "run-script"), {"script": "build"}),
    ("yarn run build:prod", ("yarn", "run-script"), {"script": "build:prod"}),
    ("yarn workspaces focus --production", ("yarn", "install"), {"production": True}),
    # ---- pnpm
    ("pnpm install --frozen-lockfile", ("pnpm", "install"), {"production": False}),
    ("pnpm install --prod", ("pnpm", "install"), {"production": True}),
    ("pnpm i -P", ("pnpm", "install"), {"production": True}),
    ("pnpm add zod", ("pnpm", "install"), {"packages": ("zod",)}),
    ("pnpm store prune", ("pnpm", "clean"), {"subcommand": "store prune"}),
    ("pnpm fetch --prod", ("pnpm", "download"), {"production": True}),
    ("pnpm run build", ("pnpm", "run-script"), {"script": "build"}),
    ("pnpm build", ("pnpm", "run-script"), {"script": "build"}),
    # ---- ruby
    ("gem install bundler -v 2.4.0 --no-document", ("gem", "install"), {"packages": ("bundler",)}),
    ("gem install rails:7.1 --no-document", ("gem", "install"), {"packages": ("rails:7.1",)}),
    ("bundle install", ("bundle", "install"), {"production": False}),
    ("bundle install --without development test --jobs 4", ("bundle", "install"), {"production": True}),
    ("bundle config set without 'development test'", ("bundle", "config"),
     {"production": True, "arguments": ("set", "without", "development test")}),
    ("bundle config set --local without development", ("bundle", "config"), {"production": True}),
    ("BUNDLE_WITHOUT=development:test bundle install", ("bundle", "install"), {"production": True}),
    ("bundle install --deployment", ("bundle", "install"), {"production": True}),
    # ---- go
    ("go build -o /out/server ./cmd/server", ("go", "build"),
     {"output": "/out/server", "local_paths": ("./cmd/server",)}),
    ("CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags='-s -w' -o app .", ("go", "build"),
     {"output": "app", "env": ("CGO_ENABLED=0", "GOOS=linux")}),
    ("env CGO_ENABLED=1 go build -o app .", ("go", "build"), {"env": ("CGO_ENABLED=1",)}),
    ("go mod download", ("go", "download"), {"subcommand": "mod download"}),
    ("go mod download -x", ("go", "download"), {}),
    ("go install github.com/x/y@v1.2.3", ("go", "install"), {"packages": ("github.com/x/y@v1.2.3",)}),
    ("xx-go build -o /out/cli ./cmd/cli", ("go", "build"), {"tool": "xx-go", "output": "/out/cli"}),
    # ---- cargo
    ("cargo build --release", ("cargo", "build"), {"production": True}),
    ("cargo build --release --locked --target x86_64-unknown-linux-musl", ("cargo", "build"),
     {"target": "x86_64-unknown-linux-musl"}),
    ("cargo build", ("cargo", "build"), {"production": False}),
    ("cargo install --path . --root /usr/local", ("cargo", "install"),
     {"local_paths": (".",), "prefix": "/usr/local"}),
    ("cargo install ripgrep", ("cargo", "install"), {"packages": ("ripgrep",)}),
    ("cargo fetch", ("cargo", "download"), {}),
    ("cargo chef cook --release --recipe-path recipe.json", ("cargo", "build"),
     {"requirement_files": ("recipe.json",)}),
    # ---- maven / gradle
    ("mvn package", ("maven", "build"), {"arguments": ("package",), "tool": "mvn"}),
    ("mvn -B -DskipTests clean install", ("maven", "build"), {"arguments": ("clean", "install")}),
    ("./mvnw dependency:go-offline", ("maven", "download"), {"tool": "mvnw"}),
    ("mvn -o -f pom.xml dependency:resolve", ("maven", "download"), {"requirement_files": ("pom.xml",)}),
    ("./gradlew build", ("gradle", "build"), {"tool": "gradlew"}),
    ("gradle assemble --no-daemon", ("gradle", "build"), {}),
    ("./gradlew --no-daemon bootJar -x test", ("gradle", "build"), {"arguments": ("bootJar",)}),
    ("gradle --no-daemon dependencies", ("gradle", "download"), {}),
    ("./gradlew --version", ("gradle", "version"), {}),
    # ---- native and java build tools
    ("make", ("native", "build"), {"tool": "make"}),
    ("make -j4 all", ("native", "build"), {"arguments": ("all",)}),
    ("make install PREFIX=/usr", ("native", "install"), {"arguments": ("install", "PREFIX=/usr")}),
    ("cmake -S . -B build -DCMAKE_BUILD_TYPE=Release", ("native", "build"), {"tool": "cmake", "output": "build"}),
    ("cmake --build build --parallel 4", ("native", "build"), {"output": "build"}),
    ("cmake --install build --prefix /opt", ("native", "install"), {"prefix": "/opt"}),
    ("./configure --prefix=/usr/local", ("native", "build"), {"tool": "configure", "prefix": "/usr/local"}),
    ("gcc -O2 -o hello hello.c -lm", ("native", "build"), {"tool": "gcc", "output": "hello", "local_paths": ("hello.c",)}),
    ("g++ -std=c++17 -o app main.cpp", ("native", "build"), {"tool": "g++", "output": "app"}),
    ("cc -o a a.c", ("native", "build"), {"tool": "cc"}),
    ("clang -o a a.c", ("native", "build"), {"tool": "clang"}),
    ("gcc-12 -o a a.c", ("native", "build"), {"tool": "gcc-12"}),
    ("javac -d out Main.java", ("java", "build"), {"tool": "javac", "output": "out", "local_paths": ("Main.java",)}),
    ("jar cf app.jar -C out .", ("java", "build"), {"tool": "jar", "output": "app.jar"}),
]


@pytest.mark.parametrize("text,kind,expected", ROWS, ids=[r[0][:60] for r in ROWS])
def test_package_op_table(text, kind, expected):
    op = one(text)
    assert (op.manager, op.action) == kind
    assert facts(op, *expected) == expected


OPTION_ROWS = [
    ("apt-get -qqy install x", {"-qqy", "-q", "-y"}),
    ("npm ci --omit=dev", {"--omit", "--omit=dev"}),
    ("poetry install --only main", {"--only", "--only=main"}),
    ("mvn -DskipTests -Dmaven.test.skip=true -o package", {"-DskipTests", "-Dmaven.test.skip=true", "-o"}),
    ("pip install --no-binary :all: x", {"--no-binary", "--no-binary=:all:"}),
    ("make -j4", {"-j", "-j4"}),
]


@pytest.mark.parametrize("text,expected", OPTION_ROWS)
def test_options_keep_names_and_name_value(text, expected):
    assert expected <= one(text).options


# --------------------------------------------------------------------------
# rm: remove-files plus derived cleanup ops


RM_ROWS = [
    ("rm -rf /var/lib/apt/lists/*", [("rm", "remove-files"), ("apt", "clean-lists")]),
    ("rm -rf /var/lib/apt/lists", [("rm", "remove-files"), ("apt", "clean-lists")]),
    ("rm -rf /var/cache/apt/archives/*.deb", [("rm", "remove-files"), ("apt", "clean")]),
    ("rm -rf /var/cache/apk/*", [("rm", "remove-files"), ("apk", "clean")]),
    ("rm -rf /root/.cache/pip", [("rm", "remove-files"), ("pip", "clean")]),
    ("rm -rf ~/.npm /tmp/*", [("rm", "remove-files"), ("npm", "clean")]),
    ("rm -rf /var/cache/dnf", [("rm", "remove-files"), ("dnf", "clean")]),
    ("rm -f /etc/apt/apt.conf.d/docker-clean", [("rm", "remove-files")]),
    ("rm -rf /tmp/build", [("rm", "remove-files")]),
]


@pytest.mark.parametrize("text,expected", RM_ROWS)
def test_rm_ops(text, expected):
    result = ops(text)
    assert [(o.manager, o.action) for o in result] == expected
    assert result[0].paths == parse_script(text).commands[0].words[2:]
    assert all(o.command is result[0].command for o in result)
    assert all(o.tool == "rm" for o in result)


def test_apt_update_install_clean_chain_in_order():
    result = ops("apt-get update && apt-get install -y --no-install-recommends gcc "
                 "&& apt-get clean && rm -rf /var/lib/apt/lists/*")
    assert [(o.manager, o.action) for o in result] == [
        ("apt", "update"), ("apt", "install"), ("apt", "clean"), ("rm", "remove-files"), ("apt", "clean-lists")]


def test_non_package_commands_give_nothing():
    assert ops("echo apt-get install x && ls -la && python app.py && python -c 'import pip'") == ()
    assert package_ops(parse_script("case x in a) apt-get install y;; esac")) == ()


def test_commands_in_substitutions_and_pipelines_count():
    result = ops("echo $(pip install x) | tee log && (cd /app && npm ci)")
    assert [(o.manager, o.action) for o in result] == [("pip", "install"), ("npm", "ci")]


def test_wrapped_commands_count():
    result = ops("xargs -r apt-get install -y < pkgs.txt && sudo -u app npm ci && command pip install x")
    assert [o.manager for o in result] == ["apt", "npm", "pip"]


def test_cgo_enabled():
    assert one("CGO_ENABLED=0 go build -o app .").cgo_enabled == "0"
    assert one("env CGO_ENABLED=1 go build -o app .").cgo_enabled == "1"
    assert one("go build -o app .").cgo_enabled is None


# --------------------------------------------------------------------------
# B58 and B73


def run_text(case: str, index: int) -> str:
    text = (CASES / f"{case}.Dockerfile").read_text()
    runs = re.findall(r"(?ms)^RUN\s+((?:[^\n]*\\\n)*[^\n]*)", text)
    joined = runs[index].replace("\\\n", " ")
    return re.sub(r"^(--\S+\s+)*", "", joined.strip())


def test_b58_apt_with_cache_mounts_parse_facts():
    result = ops(run_text("B58", 1))
    assert [(o.manager, o.action) for o in result] == [("apt", "update"), ("apt", "install")]
    install = result[1]
    assert install.packages == ("gcc",) and install.assume_yes and install.no_install_recommends
    # nothing in the script cleans lists or caches; the mounts decide that, not this module
    assert not any(o.action in ("clean", "clean-lists") for o in result)
    first = ops(run_text("B58", 0))
    assert [(o.manager, o.action, o.paths) for o in first] == [
        ("rm", "remove-files", ("/etc/apt/apt.conf.d/docker-clean",))]


def test_b73_requirements_install_reads_only_that_file():
    op = one(run_text("B73", 0))
    assert (op.manager, op.action, op.no_cache) == ("pip", "install", True)
    assert op.reads_files == ("requirements.txt",)
    assert op.local_paths == () and not op.editable


@pytest.mark.parametrize("text,reads", [
    ("pip install .", (".",)),
    ("pip install -e .", (".",)),
    ("pip install -r requirements.txt -c constraints.txt", ("requirements.txt", "constraints.txt")),
    ("pip install -r requirements.txt ./vendor/pkg.whl", ("requirements.txt", "./vendor/pkg.whl")),
    ("pip install flask gunicorn", ()),
])
def test_reads_files_decides_whether_install_can_move_before_copy(text, reads):
    assert one(text).reads_files == reads


@pytest.mark.parametrize("spec,local", [
    (".", True), ("..", True), ("./pkg", True), ("/abs", True), ("~/pkg", True), (".[dev]", True),
    ("pkg.whl", True), ("pkg.tar.gz", True), ("pkg.zip", True), ("sub/dir", True), ("$APP/pkg", True),
    ("file:///src/pkg", True), ("name @ file:///src/pkg", True),
    ("requests", False), ("torch==2.0.0", False), ("git+https://github.com/x/y", False),
    ("https://host/a.whl", False), ("$PACKAGES", False), ("$(cat list)", False),
])
def test_is_local_path(spec, local):
    assert is_local_path(spec) is local


# --------------------------------------------------------------------------
# Names, build tools, the specification's shape


@pytest.mark.parametrize("manager,spec,name", [
    ("apt", "gcc=4:12.2.0-3", "gcc"), ("apt", "python3", "python3"), ("apk", "python3~3.11", "python3"),
    ("apk", "curl=8.5.0-r0", "curl"), ("pip", "torch==2.0.0", "torch"), ("pip", "uvicorn[standard]>=0.23", "uvicorn"),
    ("pip", "requests ; python_version < '3.8'", "requests"), ("pip", "pkg @ https://x/y.whl", "pkg"),
    ("npm", "@types/node@20", "@types/node"), ("npm", "lodash@4", "lodash"), ("npm", "@scope/pkg", "@scope/pkg"),
    ("gem", "rails:7.1", "rails"), ("go", "github.com/x/y@v1", "github.com/x/y"), ("conda", "numpy=1.26", "numpy"),
    ("yum", "python3-3.9.16", "python3"), ("dnf", "gcc-c++", "gcc-c++"), ("cargo", "ripgrep@14", "ripgrep"),
])
def test_package_name(manager, spec, name):
    assert package_name(manager, spec) == name


BUILD_TOOL_ROWS = [
    ("apt-get install -y gcc g++ make cmake build-essential curl libpq-dev python3-dev", 
     ("gcc", "g++", "make", "cmake", "build-essential", "libpq-dev", "python3-dev")),
    ("apt-get install -y gcc-12=12.2.0-14 pkg-config", ("gcc-12", "pkg-config")),
    ("apk add --no-cache build-base musl-dev linux-headers postgresql-dev", 
     ("build-base", "musl-dev", "linux-headers", "postgresql-dev")),
    ("dnf install -y gcc-c++ openssl-devel", ("gcc-c++", "openssl-devel")),
    ("apt-get install -y curl ca-certificates", ()),
    ("apt-get purge -y gcc", ()),
    ("./configure && make && gcc -o a a.c", ("configure", "make", "gcc")),
    ("npm ci && npm run build", ("npm",)),
    ("npm run test && yarn run lint", ()),
    ("yarn build", ("yarn",)),
    ("pnpm run build:prod", ("pnpm",)),
    ("mvn package", ("maven",)),
    ("./gradlew bootJar", ("gradle",)),
    ("cargo build --release", ("cargo",)),
    ("go build -o app . && go mod download", ("go",)),
    ("go mod download", ()),
    ("javac Main.java && jar cf a.jar .", ("javac", "jar")),
    ("pip install torch", ()),
    ("rustc main.rs", ("rustc",)),
]


@pytest.mark.parametrize("text,tools", BUILD_TOOL_ROWS)
def test_build_tools(text, tools):
    assert build_tools(ops(text)) == tools


def test_extract_package_managers_spec_shape():
    packages = extract_package_managers([
        "apt-get update && apt-get install -y python3 gcc git && rm -rf /var/lib/apt/lists/*",
        "pip install --no-cache-dir torch==2.0.0 transformers",
        "npm install -g typescript @types/node",
        "pip install -r requirements.txt transformers",
        parse_script("apk add --no-cache curl"),
    ])
    assert packages == {
        "apt": ["python3", "gcc", "git"],
        "pip": ["torch==2.0.0", "transformers"],
        "npm": ["typescript", "@types/node"],
        "apk": ["curl"],
    }
    assert "torch" in packages["pip"][0]


def test_extract_package_managers_lists_managers_without_named_packages():
    packages = extract_package_managers(["pip install -r requirements.txt", "npm ci", "make", "rm -rf /x",
                                         "apt-get purge -y gcc"])
    assert packages == {"pip": [], "npm": [], "apt": []}


def test_extract_package_managers_ignores_opaque_scripts():
    assert extract_package_managers(["case x in a) pip install y;; esac"]) == {}


# --------------------------------------------------------------------------
# -dev -> runtime map


RUNTIME_ROWS = [
    ("libpq-dev", ["libpq5"]), ("libjpeg-dev", ["libjpeg62-turbo"]), ("libjpeg62-turbo-dev", ["libjpeg62-turbo"]),
    ("libxml2-dev", ["libxml2"]), ("libxslt1-dev", ["libxslt1.1"]), ("libffi-dev", ["libffi8"]),
    ("libssl-dev", ["libssl3"]), ("libyaml-dev", ["libyaml-0-2"]), ("zlib1g-dev", ["zlib1g"]),
    ("libpng-dev", ["libpng16-16"]), ("libfreetype6-dev", ["libfreetype6"]), ("libsqlite3-dev", ["libsqlite3-0"]),
    ("libcurl4-openssl-dev", ["libcurl4"]), ("libbz2-dev", ["libbz2-1.0"]), ("liblzma-dev", ["liblzma5"]),
    ("libgmp-dev", ["libgmp10"]), ("libopenblas-dev", ["libopenblas0"]), ("liblapack-dev", ["liblapack3"]),
    ("libblas-dev", ["libblas3"]), ("libexpat1-dev", ["libexpat1"]), ("libmariadb-dev", ["libmariadb3"]),
    ("default-libmysqlclient-dev", ["libmariadb3"]), ("libsnappy-dev", ["libsnappy1v5"]),
    ("libzstd-dev", ["libzstd1"]), ("libpcre3-dev", ["libpcre3"]), ("libreadline-dev", ["libreadline8"]),
    ("libncurses-dev", ["libncursesw6"]), ("libgdal-dev", ["libgdal32"]), ("libgeos-dev", ["libgeos-c1v5"]),
    ("libproj-dev", ["libproj25"]), ("libmagic-dev", ["libmagic1"]), ("libsasl2-dev", ["libsasl2-2"]),
    ("libldap2-dev", ["libldap-2.5-0"]), ("libkrb5-dev", ["libkrb5-3", "libgssapi-krb5-2"]),
    ("libuv1-dev", ["libuv1"]),
    ("gcc", []), ("g++", []), ("make", []), ("cmake", []), ("build-essential", []), ("pkg-config", []),
    ("git", []), ("curl", []),
]


@pytest.mark.parametrize("package,runtime", RUNTIME_ROWS)
def test_runtime_packages_for_each(package, runtime):
    assert runtime_packages_for([package]) == runtime


def test_runtime_packages_keep_order_dedupe_and_ignore_versions():
    assert runtime_packages_for(["libmariadb-dev", "libpq-dev=15.*", "default-libmysqlclient-dev"]) == [
        "libmariadb3", "libpq5"]


def test_compiler_runtimes_only_on_request():
    assert runtime_packages_for(["gcc", "libgomp1"]) == []
    assert runtime_packages_for(["gcc"], compiler_runtimes=True) == ["libgomp1"]
    assert runtime_packages_for(["g++", "libpq-dev"], compiler_runtimes=True) == ["libgomp1", "libstdc++6", "libpq5"]


def test_unmapped_build_only_and_ambiguous():
    assert unmapped_build_packages(["libpq-dev", "libfoo-dev", "gcc", "libbar-dev=1"]) == ["libfoo-dev", "libbar-dev"]
    assert {"gcc", "g++", "make", "cmake", "build-essential", "pkg-config"} <= build_only_packages()
    assert ambiguous_tools(["gcc", "curl", "git=1:2.39*", "libpq-dev"]) == ["curl", "git"]
    assert {"curl", "git", "wget"} <= set(ambiguous_tools())
    assert not set(ambiguous_tools()) & build_only_packages()


def test_runtime_table_is_well_formed():
    table = tomllib.loads(DATA.read_text(encoding="utf-8"))
    runtime = table["runtime"]
    assert len(runtime) >= 40
    for dev, libs in runtime.items():
        assert "-dev" in dev, dev
        assert libs and all(isinstance(x, str) and x and not x.endswith("-dev") for x in libs), dev
    # every entry carries a comment saying what it is for
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if re.match(r'^"[^"]+-dev" = ', line):
            assert "#" in line, line
