""".dockerignore semantics, table-driven against moby/patternmatcher's own test tables and Docker's documented
examples (https://docs.docker.com/build/concepts/context/#dockerignore-files)."""

from __future__ import annotations

import pytest

from dopt.dockerignore import (BuildContext, DockerignoreError, Pattern, PatternMatcher, find_ignore_file,
                               go_clean, matches, read_patterns)

# (pattern, path, MatchesExact, MatchesOrParentMatches) -- moby/patternmatcher TestMatches:
# "exact" passes both, "inexact" only the parent-matching one, "fail" neither.
EXACT, INEXACT, FAIL = "exact", "inexact", "fail"
MOBY = [
    ("**", "file", EXACT), ("**", "file/", EXACT), ("**/", "file", EXACT), ("**/", "file/", EXACT),
    ("**", "/", EXACT), ("**/", "/", EXACT), ("**", "dir/file", EXACT), ("**/", "dir/file", EXACT),
    ("**", "dir/file/", EXACT), ("**/", "dir/file/", EXACT), ("**/**", "dir/file", EXACT),
    ("**/**", "dir/file/", EXACT), ("dir/**", "dir/file", EXACT), ("dir/**", "dir/file/", EXACT),
    ("dir/**", "dir/dir2/file", EXACT), ("dir/**", "dir/dir2/file/", EXACT), ("**/dir", "dir", EXACT),
    ("**/dir", "dir/file", INEXACT), ("**/dir2/*", "dir/dir2/file", EXACT),
    ("**/dir2/*", "dir/dir2/file/", INEXACT), ("**/dir2/**", "dir/dir2/dir3/file", EXACT),
    ("**/dir2/**", "dir/dir2/dir3/file/", EXACT), ("**file", "file", EXACT), ("**file", "dir/file", EXACT),
    ("**/file", "dir/file", EXACT), ("**file", "dir/dir/file", EXACT), ("**/file", "dir/dir/file", EXACT),
    ("**/file*", "dir/dir/file", EXACT), ("**/file*", "dir/dir/file.txt", EXACT),
    ("**/file*txt", "dir/dir/file.txt", EXACT), ("**/file*.txt", "dir/dir/file.txt", EXACT),
    ("**/file*.txt*", "dir/dir/file.txt", EXACT), ("**/**/*.txt", "dir/dir/file.txt", EXACT),
    ("**/**/*.txt2", "dir/dir/file.txt", FAIL), ("**/*.txt", "file.txt", EXACT),
    ("**/**/*.txt", "file.txt", EXACT), ("a**/*.txt", "a/file.txt", EXACT), ("a**/*.txt", "a/dir/file.txt", EXACT),
    ("a**/*.txt", "a/dir/dir/file.txt", EXACT), ("a/*.txt", "a/dir/file.txt", FAIL), ("a/*.txt", "a/file.txt", EXACT),
    ("a/*.txt**", "a/file.txt", EXACT), ("a[b-d]e", "ae", FAIL), ("a[b-d]e", "ace", EXACT), ("a[b-d]e", "aae", FAIL),
    ("a[^b-d]e", "aze", EXACT), (".*", ".foo", EXACT), (".*", "foo", FAIL), ("abc.def", "abcdef", FAIL),
    ("abc.def", "abc.def", EXACT), ("abc.def", "abcZdef", FAIL), ("abc?def", "abcZdef", EXACT),
    ("abc?def", "abcdef", FAIL), ("**/foo/bar", "foo/bar", EXACT), ("**/foo/bar", "dir/foo/bar", EXACT),
    ("**/foo/bar", "dir/dir2/foo/bar", EXACT), ("abc/**", "abc", FAIL), ("abc/**", "abc/def", EXACT),
    ("abc/**", "abc/def/ghi", EXACT), ("**/.foo", ".foo", EXACT), ("**/.foo", "bar.foo", FAIL),
    ("a(b)c/def", "a(b)c/def", EXACT), ("a(b)c/def", "a(b)c/xyz", FAIL), ("a.|)$(}+{bc", "a.|)$(}+{bc", EXACT),
    ("dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
     "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", EXACT),
    ("dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", EXACT),
    ("a\\\\", "a\\", EXACT), ("a\\*b", "a*b", EXACT),
]


@pytest.mark.parametrize("pattern, path, expect", MOBY)
def test_moby_match_table(pattern, path, expect):
    m = PatternMatcher([pattern])
    assert m.matches_exact(path) is (expect == EXACT)
    assert m.matches(path) is (expect != FAIL)


MULTI = [
    (["**", "!util/docker/web"], "util/docker/web/foo", False),
    (["**", "!util/docker/web", "util/docker/web/foo"], "util/docker/web/foo", True),
    (["**", "!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl"],
     "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", False),
    (["**", "!dist/*.whl"], "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", False),
    # Docker docs: the last matching line decides
    (["*.md", "!README.md"], "README.md", False),
    (["*.md", "!README*.md", "README-secret.md"], "README-secret.md", True),
    (["*.md", "README-secret.md", "!README*.md"], "README-secret.md", False),
    # folder exclusions and exceptions (moby TestPatternMatchesFolder*)
    (["docs", "!docs/README.md"], "docs/README.md", False),
    (["docs/", "!docs/README.md"], "docs/README.md", False),
    (["docs/*", "!docs/README.md"], "docs/README.md", False),
    (["docs"], "docs/a/b/c.md", True),
    (["*.go", "!fileutils.go"], "fileutils.go", False),
    (["!fileutils.go", "*.go"], "fileutils.go", True),
]


@pytest.mark.parametrize("patterns, path, expect", MULTI)
def test_ordered_patterns_and_exceptions(patterns, path, expect):
    assert PatternMatcher(patterns).matches(path) is expect


# Go's filepath.Match table (as moby's TestMatch runs it through Matches): (pattern, name, match, bad pattern)
GO_MATCH = [
    ("abc", "abc", True, False), ("*", "abc", True, False), ("*c", "abc", True, False), ("a*", "a", True, False),
    ("a*", "abc", True, False), ("a*", "ab/c", True, False), ("a*/b", "abc/b", True, False),
    ("a*/b", "a/c/b", False, False), ("a*b*c*d*e*/f", "axbxcxdxe/f", True, False),
    ("a*b*c*d*e*/f", "axbxcxdxexxx/f", True, False), ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", False, False),
    ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", False, False), ("a*b?c*x", "abxbbxdbxebxczzx", True, False),
    ("a*b?c*x", "abxbbxdbxebxczzy", False, False), ("ab[c]", "abc", True, False), ("ab[b-d]", "abc", True, False),
    ("ab[e-g]", "abc", False, False), ("ab[^c]", "abc", False, False), ("ab[^b-d]", "abc", False, False),
    ("ab[^e-g]", "abc", True, False), ("a\\*b", "a*b", True, False), ("a\\*b", "ab", False, False),
    ("a?b", "a☺b", True, False), ("a[^a]b", "a☺b", True, False), ("a???b", "a☺b", False, False),
    ("a[^a][^a][^a]b", "a☺b", False, False), ("[a-ζ]*", "α", True, False), ("*[a-ζ]", "A", False, False),
    ("a?b", "a/b", False, False), ("a*b", "a/b", False, False), ("[\\]a]", "]", True, False),
    ("[\\-]", "-", True, False), ("[x\\-]", "x", True, False), ("[x\\-]", "-", True, False),
    ("[x\\-]", "z", False, False), ("[\\-x]", "x", True, False), ("[\\-x]", "-", True, False),
    ("[\\-x]", "a", False, False), ("[]a]", "]", False, True), ("[-]", "-", False, True), ("[x-]", "x", False, True),
    ("[-x]", "x", False, True), ("\\", "a", False, True), ("[a-b-c]", "a", False, True), ("[", "a", False, True),
    ("[^", "a", False, True), ("[^bc", "a", False, True), ("a[", "a", False, True), ("a[", "ab", False, True),
    ("*x", "xxx", True, False),
]


@pytest.mark.parametrize("pattern, name, match, bad", GO_MATCH)
def test_go_filepath_match_table(pattern, name, match, bad):
    if bad:
        with pytest.raises(DockerignoreError):
            matches(name, [pattern])
    else:
        assert matches(name, [pattern]) is match


@pytest.mark.parametrize("pattern, kind, regex", [
    ("*", "regexp", r"^[^/]*\Z"), ("file*", "regexp", r"^file[^/]*\Z"), ("a*/b", "regexp", r"^a[^/]*/b\Z"),
    ("**", "suffix", None), ("**/**", "regexp", r"^(.*/)?.*\Z"), ("dir/**", "prefix", None),
    ("**/dir", "suffix", None), ("**/dir2/*", "regexp", r"^(.*/)?dir2/[^/]*\Z"),
    ("**/dir2/**", "regexp", r"^(.*/)?dir2/.*\Z"), ("**file", "suffix", None),
    ("**/**/*.txt", "regexp", r"^(.*/)?(.*/)?[^/]*\.txt\Z"), ("a[b-d]e", "regexp", r"^a[b-d]e\Z"),
    (".*", "regexp", r"^\.[^/]*\Z"), ("abc.def", "exact", None), ("abc/def", "exact", None),
])
def test_compiled_forms_follow_moby(pattern, kind, regex):
    p = Pattern(pattern)
    assert p.kind == kind
    assert (p.regex.pattern if p.regex else None) == regex


def test_a_trailing_newline_is_not_a_match():
    # Go's `$` is end of text; a Python `$` would accept "a.go\n"
    assert not PatternMatcher(["*.go"]).matches("a.go\n")


def test_reading_follows_ignorefile_readall():
    text = "\ufeff# comment\n  # not a comment: a pattern\n\n /abs/path/ \n!  /keep//me/\n./a/../b\n\t\nnode_modules\r\n"
    assert read_patterns(text) == ["# not a comment: a pattern", "abs/path", "!keep/me", "b", "node_modules"]
    assert read_patterns("/\n") == ["/"]


def test_leading_slash_and_dot_segments_are_the_same_pattern():
    for pattern in ("/build", "build", "./build", "build/", "/build/"):
        m = PatternMatcher(read_patterns(pattern))
        assert m.matches("build/out.js") and m.matches("build") and not m.matches("src/build")


def test_whole_context_is_never_excluded():
    assert matches(".", ["*", "**"]) is False


def test_errors_are_dopt_errors_with_a_message():
    for bad in (["!"], ["["], ["a\\"]):
        with pytest.raises(DockerignoreError) as info:
            PatternMatcher(bad)
        assert ".dockerignore" in str(info.value) and info.value.exit_code == 2


@pytest.mark.parametrize("raw, clean", [("", "."), ("a//b/./c/..", "a/b"), ("/../x", "/x"), ("//srv/", "/srv"),
                                       ("../a/../..", "../.."), ("./", "."), ("a/b/", "a/b")])
def test_go_clean(raw, clean):
    assert go_clean(raw) == clean


def test_build_context_uses_dockerfile_specific_ignore_file(tmp_path):
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("print(1)\n")
    (tmp_path / "app" / "secret.key").write_text("k\n")
    (tmp_path / ".dockerignore").write_text("*.txt\n")
    ctx = BuildContext(tmp_path)
    assert ctx.ignore_file == tmp_path / ".dockerignore"
    assert ctx.exists("requirements.txt") and not ctx.includes("requirements.txt")
    assert list(ctx.files()) == [".dockerignore", "app/main.py", "app/secret.key"]
    dockerfile = tmp_path / "app.Dockerfile"
    (tmp_path / "app.Dockerfile.dockerignore").write_text("app/*.key\n")
    ctx = BuildContext(tmp_path, dockerfile)
    assert ctx.ignore_file == tmp_path / "app.Dockerfile.dockerignore"
    assert ctx.includes("requirements.txt") and not ctx.includes("app/secret.key")
    assert find_ignore_file(tmp_path / "app") is None


def test_excluded_directory_with_an_exception_still_counts(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.md").write_text("x")
    (tmp_path / "docs" / "guide.md").write_text("x")
    (tmp_path / ".dockerignore").write_text("docs\n!docs/README.md\n")
    ctx = BuildContext(tmp_path)
    assert ctx.includes("docs") and ctx.includes("docs/README.md") and not ctx.includes("docs/guide.md")
    assert ctx.read_text("docs/guide.md") is None and ctx.read_text("docs/README.md") == "x"
    assert not ctx.exists("../etc/passwd")


def test_missing_context_is_a_clear_error(tmp_path):
    with pytest.raises(DockerignoreError):
        BuildContext(tmp_path / "nope")
