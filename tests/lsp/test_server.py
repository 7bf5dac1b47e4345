"""The language server, driven as an editor drives it: the real ``workflowcore lsp``
process over stdio, with a real LSP client (pytest-lsp)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pygls", reason="the language server needs the 'lsp' extra (pygls): "
                    "pip install -e '.[dev]'")
pytest.importorskip("pytest_lsp", reason="tests/lsp need pytest-lsp: pip install -e '.[dev]'")

import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig

from workflowcore import load

from ._client import (
    SERVER,
    RecordingClient,
    change,
    diagnostics,
    doc_id,
    edit_line,
    make_client,
    open_doc,
    position,
    start,
    uri,
)

CONFIG = """\
version: 2.1
parameters:
  deploy: {type: boolean, default: false}
executors:
  py:
    parameters:
      tag: {type: string, default: "3.12"}
    docker: [{image: "cimg/python:<< parameters.tag >>"}]
commands:
  greet:
    description: Say hello to someone
    parameters:
      who: {type: string, default: world}
      mood: {type: enum, enum: [happy, grumpy], default: happy}
    steps:
      - run: echo hello << parameters.who >>
defaults: &defaults
  working_directory: ~/project
jobs:
  build:
    <<: *defaults
    executor: {name: py, tag: "3.11"}
    steps:
      - checkout
      - greet: {who: me}
  test:
    executor: py
    steps: [checkout, greet]
workflows:
  main:
    jobs:
      - build
      - test:
          requires: [build]
"""


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, client_factory=make_client))
async def client(lsp_client: RecordingClient, tmp_path: Path):  # type: ignore[no-untyped-def]
    await start(lsp_client, tmp_path)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, client_factory=make_client))
async def lsp_client_no_debounce(lsp_client: RecordingClient,  # type: ignore[no-untyped-def]
                                 tmp_path: Path):
    await start(lsp_client, tmp_path, {"debounceMs": 0})
    yield
    await lsp_client.shutdown_session()


def _config_path(tmp_path: Path) -> Path:
    return tmp_path / ".circleci" / "config.yml"


@pytest.mark.asyncio
async def test_diagnostics_appear_update_and_clear(client: RecordingClient,
                                                   tmp_path: Path) -> None:
    path = _config_path(tmp_path)
    broken = CONFIG.replace("requires: [build]", "requires: [biuld]")
    u = open_doc(client, path, broken)
    found = await diagnostics(client, u, 1)
    expected = load(broken, str(path)).diagnostics  # what `validate` reports
    assert [(d.code, d.range.start.line + 1, d.range.start.character + 1,
             d.range.end.line + 1, d.range.end.character + 1) for d in found] == \
        [(e.code, e.line, e.column, e.end_line, e.end_column) for e in expected]
    (d,) = found
    assert d.code == "requires-unknown"
    assert d.severity == lsp.DiagnosticSeverity.Error
    assert d.source == "workflowcore"
    assert "hint: did you mean 'build'?" in d.message

    # fix it with an incremental one-line edit: the error goes
    line = broken.split("\n").index("          requires: [biuld]")
    edit_line(client, u, 2, line, "          requires: [biuld]", "          requires: [build]")
    assert await diagnostics(client, u, 2) == []

    # a new problem comes back: YAML 1.1 boolean in an environment (a warning)
    text = CONFIG.replace("  working_directory: ~/project",
                          "  working_directory: ~/project\n  environment:\n    DEBUG: off")
    change(client, u, 3, text)
    (d,) = await diagnostics(client, u, 3)
    assert d.code == "yaml-truthy" and d.severity == lsp.DiagnosticSeverity.Warning

    client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=doc_id(u)))
    assert await diagnostics(client, u, None) == []


@pytest.mark.asyncio
async def test_related_location_for_a_duplicate_key(client: RecordingClient,
                                                    tmp_path: Path) -> None:
    text = CONFIG.replace("  test:\n", "  build:\n    docker: [{image: x}]\n    steps: [checkout]\n"
                          "  test:\n")
    u = open_doc(client, _config_path(tmp_path), text)
    dup = [d for d in await diagnostics(client, u, 1) if d.code == "yaml-duplicate-key"]
    assert dup, "a duplicate job is reported"
    related = dup[0].related_information
    assert related is not None
    assert related[0].location.uri == u
    assert related[0].location.range.start.line == text.split("\n").index("  build:")


@pytest.mark.asyncio
async def test_hover(client: RecordingClient, tmp_path: Path) -> None:
    u = open_doc(client, _config_path(tmp_path), CONFIG)
    await diagnostics(client, u, 1)
    # a command invocation: its definition in short, with parameters, types and defaults
    h = await client.text_document_hover_async(lsp.HoverParams(
        text_document=doc_id(u), position=position(CONFIG, "greet: {who", 2)))
    assert h is not None
    value = h.contents.value  # type: ignore[union-attr]
    assert "**command** `greet`" in value and "Say hello to someone" in value
    assert '`who` (string, default `"world"`)' in value
    assert "`mood` (enum, default `\"happy\"`): one of `happy`, `grumpy`" in value
    # << parameters.x >>: the declaration
    h = await client.text_document_hover_async(lsp.HoverParams(
        text_document=doc_id(u), position=position(CONFIG, "parameters.who", 12)))
    assert h is not None and "**parameter** of command `greet`" in h.contents.value  # type: ignore[union-attr]
    # a key: the model's description
    h = await client.text_document_hover_async(lsp.HoverParams(
        text_document=doc_id(u), position=position(CONFIG, "executor: py", 2)))
    assert h is not None
    assert "**`executor`**" in h.contents.value and "reusable executor" in h.contents.value  # type: ignore[union-attr]


@pytest.mark.asyncio
async def test_definition_and_references(client: RecordingClient, tmp_path: Path) -> None:
    lines = CONFIG.split("\n")
    u = open_doc(client, _config_path(tmp_path), CONFIG)
    await diagnostics(client, u, 1)

    async def definition(needle: str, offset: int, occurrence: int = 1) -> list[int]:
        result = await client.text_document_definition_async(lsp.DefinitionParams(
            text_document=doc_id(u), position=position(CONFIG, needle, offset, occurrence)))
        assert isinstance(result, list), needle
        assert all(loc.uri == u for loc in result)  # type: ignore[union-attr]
        return [loc.range.start.line for loc in result]  # type: ignore[union-attr]

    assert await definition("requires: [build]", 12) == [lines.index("  build:")]
    assert await definition("- greet: {", 3) == [lines.index("  greet:")]
    assert await definition("name: py", 7) == [lines.index("  py:")]
    assert await definition("*defaults", 2) == [lines.index("defaults: &defaults")]
    assert await definition("tag: \"3.11\"", 1) == [lines.index("      tag: {type: string, "
                                                                "default: \"3.12\"}")]

    refs = await client.text_document_references_async(lsp.ReferenceParams(
        text_document=doc_id(u), position=position(CONFIG, "  build:", 3),
        context=lsp.ReferenceContext(include_declaration=False)))
    assert refs is not None
    assert sorted(r.range.start.line for r in refs) == [
        lines.index("      - build"), lines.index("          requires: [build]")]
    refs = await client.text_document_references_async(lsp.ReferenceParams(
        text_document=doc_id(u), position=position(CONFIG, "  greet:", 3),
        context=lsp.ReferenceContext(include_declaration=True)))
    assert refs is not None and len(refs) == 3  # the definition and two steps


@pytest.mark.asyncio
async def test_completion(client: RecordingClient, tmp_path: Path) -> None:
    u = open_doc(client, _config_path(tmp_path), CONFIG)
    await diagnostics(client, u, 1)

    async def labels(text: str, version: int, needle: str, offset: int) -> list[str]:
        change(client, u, version, text)
        result = await client.text_document_completion_async(lsp.CompletionParams(
            text_document=doc_id(u), position=position(text, needle, offset)))
        assert isinstance(result, lsp.CompletionList)
        return [i.label for i in result.items]

    # a step: built-in steps and the config's commands
    text = CONFIG.replace("      - greet: {who: me}", "      - greet: {who: me}\n      - ")
    got = await labels(text, 2, "me}\n      - ", 12)
    assert {"greet", "checkout", "run", "save_cache"} <= set(got)
    # keys valid in a job (not those already written), by the models
    text = CONFIG.replace("    executor: py\n", "    executor: py\n    par\n")
    got = await labels(text, 3, "    par\n", 7)
    assert "parallelism" in got and "parameters" in got and "executor" not in got
    # requires: the other jobs of the workflow
    text = CONFIG.replace("requires: [build]", "requires: [b]")
    assert "build" in await labels(text, 4, "requires: [b]", 12)
    # a requires status
    text = CONFIG.replace("requires: [build]", "requires:\n            - build: ")
    got = await labels(text, 5, "- build: ", 9)
    assert {"success", "failed", "canceled", "not_run", "terminal"} <= set(got)
    # the parameters of the invoked command, then an enum parameter's values
    text = CONFIG.replace("      - greet: {who: me}", "      - greet:\n          mood: ")
    assert await labels(text, 6, "          mood: ", 16) == ["happy", "grumpy"]
    text = CONFIG.replace("      - greet: {who: me}", "      - greet:\n          ")
    got = await labels(text, 7, "greet:\n          ", 17)
    assert {"who", "mood"} <= set(got)
    # a workflow's job list; an executor name
    text = CONFIG.replace("      - build\n", "      - build\n      - \n")
    assert {"build", "test"} <= set(await labels(text, 8, "build\n      - ", 14))
    text = CONFIG.replace("    executor: py\n", "    executor: \n")
    assert "py" in await labels(text, 9, "executor: \n", 10)


@pytest.mark.asyncio
async def test_document_symbols(client: RecordingClient, tmp_path: Path) -> None:
    u = open_doc(client, _config_path(tmp_path), CONFIG)
    result = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=doc_id(u)))
    assert result is not None
    sections = {s.name: [c.name for c in s.children or []] for s in result}  # type: ignore[union-attr]
    assert sections["jobs"] == ["build", "test"]
    assert sections["commands"] == ["greet"]
    assert sections["executors"] == ["py"]
    assert sections["workflows"] == ["main"]
    main = next(s for s in result if s.name == "workflows").children[0]  # type: ignore[union-attr]
    assert [c.name for c in main.children] == ["build", "test"]


@pytest.mark.asyncio
async def test_code_actions_fix_what_the_diagnostics_name(client: RecordingClient,
                                                          tmp_path: Path) -> None:
    text = CONFIG.replace("  test:\n    executor: py\n", "  test:\n    executr: py\n") \
        .replace("  working_directory: ~/project",
                 "  working_directory: ~/project\n  environment:\n    DEBUG: off")
    u = open_doc(client, _config_path(tmp_path), text)
    found = await diagnostics(client, u, 1)
    by_code = {d.code: d for d in found}
    assert {"schema-unknown-key", "yaml-truthy"} <= set(by_code)
    result = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=doc_id(u), range=by_code["schema-unknown-key"].range,
        context=lsp.CodeActionContext(diagnostics=found)))
    assert result is not None
    titles = [a.title for a in result]  # type: ignore[union-attr]
    assert "Replace 'executr' with 'executor'" in titles
    assert "Quote 'off' so it stays text" in titles
    fixed = text
    for action in result:
        edits = action.edit.changes[u]  # type: ignore[union-attr]
        for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character),
                        reverse=True):
            lines = fixed.split("\n")
            line = lines[e.range.start.line]
            lines[e.range.start.line] = (line[:e.range.start.character] + e.new_text
                                         + line[e.range.end.character:])
            fixed = "\n".join(lines)
    change(client, u, 2, fixed)
    assert await diagnostics(client, u, 2) == []


def _big_config(jobs: int) -> str:
    out = ["version: 2.1", "jobs:"]
    for i in range(jobs):
        out += [f"  job-{i}:", "    docker: [{image: cimg/base:stable}]", "    steps:",
                "      - checkout", f"      - run: make test-{i}"]
    out += ["workflows:", "  main:", "    jobs:"]
    for i in range(jobs):
        out += [f"      - job-{i}" + (f":\n          requires: [job-{i - 1}]" if i else "")]
    return "\n".join(out) + "\n"


@pytest.mark.asyncio
async def test_stale_results_are_dropped(client: RecordingClient, tmp_path: Path) -> None:
    """A version edited while it is being analysed is never published; the newest is."""
    text = _big_config(3000)
    u = open_doc(client, _config_path(tmp_path), text)
    assert await diagnostics(client, u, 1) == []
    before = len(client.published)
    v2 = text.replace("requires: [job-9]", "requires: [job-nine]")
    v3 = text.replace("requires: [job-7]", "requires: [job-seven]")
    change(client, u, 2, v2)
    change(client, u, 3, v3)  # while version 2 is analysed
    (d,) = await diagnostics(client, u, 3)
    assert "job-seven" in d.message
    assert [p.version for p in client.published[before:] if p.uri == u] == [3]
    status = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="workflowcore.status"))
    # version 2 was analysed (the edit after a quiet spell starts at once) and dropped
    assert status[u]["dropped"] >= 1, status[u]
    assert status[u]["published_version"] == 3


ORB_ROOT = """\
version: 2.1
description: Greets people.
"""
ORB_COMMAND = """\
description: Say hello.
parameters:
  who: {type: string, default: world}
steps:
  - run: echo hello << parameters.who >>
"""
ORB_JOB = """\
docker: [{image: cimg/base:stable}]
steps:
  - greet:
      who: everyone
"""


@pytest.mark.asyncio
async def test_orb_source_files(client: RecordingClient, tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "commands").mkdir(parents=True)
    (src / "@orb.yml").write_text(ORB_ROOT)
    (src / "commands" / "greet.yml").write_text(ORB_COMMAND)
    job_path = src / "jobs" / "hello.yml"
    u = open_doc(client, job_path, ORB_JOB)
    assert await diagnostics(client, u, 1) == []
    # go to the command, in its own file
    result = await client.text_document_definition_async(lsp.DefinitionParams(
        text_document=doc_id(u), position=position(ORB_JOB, "greet", 1)))
    assert isinstance(result, list) and result[0].uri.endswith("/src/commands/greet.yml")  # type: ignore[union-attr]
    # its parameter
    result = await client.text_document_definition_async(lsp.DefinitionParams(
        text_document=doc_id(u), position=position(ORB_JOB, "who", 1)))
    assert isinstance(result, list)
    assert result[0].range.start.line == 2  # type: ignore[union-attr]
    # an unsaved edit is checked with the rest of the tree: an unknown argument
    change(client, u, 2, ORB_JOB.replace("who:", "whom:"))
    found = await diagnostics(client, u, 2)
    assert [d.code for d in found] == ["param-unexpected"], found
    assert found[0].range.start.line == 3
    # a step: the commands of the other files of the tree
    text = ORB_JOB + "  - \n"
    change(client, u, 3, text)
    result = await client.text_document_completion_async(lsp.CompletionParams(
        text_document=doc_id(u), position=lsp.Position(line=4, character=4)))
    assert isinstance(result, lsp.CompletionList)
    assert "greet" in [i.label for i in result.items]


STORE_ORB = """\
version: 2.1
description: Greetings.
commands:
  hello:
    description: Say hello.
    parameters:
      to: {type: string, default: world}
    steps:
      - run: echo hello << parameters.to >>
jobs:
  wave:
    docker: [{image: cimg/base:stable}]
    steps: [hello]
"""
USES_ORB = """\
version: 2.1
orbs:
  greet: acme/greet@1.0
jobs:
  build:
    docker: [{image: cimg/base:stable}]
    steps:
      - greet/hello:
          to: you
workflows:
  main:
    jobs: [build, greet/wave]
"""


@pytest.mark.asyncio
async def test_orb_elements_from_the_local_store(client: RecordingClient,
                                                 tmp_path: Path) -> None:
    orb_file = tmp_path / ".circleci" / "orbs" / "acme" / "greet@1.0.0.yml"
    orb_file.parent.mkdir(parents=True)
    orb_file.write_text(STORE_ORB)
    orb_lines = STORE_ORB.split("\n")
    u = open_doc(client, _config_path(tmp_path), USES_ORB)
    assert await diagnostics(client, u, 1) == []  # resolved from .circleci/orbs

    result = await client.text_document_definition_async(lsp.DefinitionParams(
        text_document=doc_id(u), position=position(USES_ORB, "greet/hello", 7)))
    assert isinstance(result, list) and len(result) == 1
    assert result[0].uri == uri(orb_file)  # type: ignore[union-attr]
    assert result[0].range.start.line == orb_lines.index("  hello:")  # type: ignore[union-attr]
    result = await client.text_document_definition_async(lsp.DefinitionParams(
        text_document=doc_id(u), position=position(USES_ORB, "to: you", 0)))
    assert isinstance(result, list)
    assert result[0].range.start.line == orb_lines.index(  # type: ignore[union-attr]
        "      to: {type: string, default: world}")

    h = await client.text_document_hover_async(lsp.HoverParams(
        text_document=doc_id(u), position=position(USES_ORB, "greet/wave", 7)))
    assert h is not None
    assert "**job** `greet/wave` — orb `acme/greet@1.0.0`" in h.contents.value  # type: ignore[union-attr]
    h = await client.text_document_hover_async(lsp.HoverParams(
        text_document=doc_id(u), position=position(USES_ORB, "greet: acme", 1)))
    assert h is not None and "acme/greet@1.0` → `acme/greet@1.0.0`" in h.contents.value  # type: ignore[union-attr]

    text = USES_ORB.replace("          to: you\n", "          to: you\n      - \n")
    change(client, u, 2, text)
    result = await client.text_document_completion_async(lsp.CompletionParams(
        text_document=doc_id(u), position=position(text, "you\n      - ", 12)))
    assert isinstance(result, lsp.CompletionList)
    assert "greet/hello" in [i.label for i in result.items]


#: (editor whose capabilities the client sends, the encoding it negotiates, the code units
#: of the rocket in it)
EDITORS = [("visual-studio-code", "utf-16", 2), ("neovim", "utf-8", 4), ("emacs", "utf-32", 1)]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, client_factory=make_client),
                    params=EDITORS, ids=[e[0] for e in EDITORS])
async def editor(lsp_client: RecordingClient, tmp_path: Path,  # type: ignore[no-untyped-def]
                 request: pytest.FixtureRequest):
    result = await start(lsp_client, tmp_path, editor=request.param[0])
    lsp_client.encoding = result.capabilities.position_encoding  # type: ignore[attr-defined]
    lsp_client.units = request.param  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_columns_in_the_encoding_the_editor_negotiates(editor: RecordingClient,
                                                             tmp_path: Path) -> None:
    """VS Code counts columns in UTF-16 code units, Neovim in bytes, Emacs in code points:
    a character outside the Basic Multilingual Plane before a finding moves it by 2, 4 or
    1 of them."""
    _, encoding, units = editor.units  # type: ignore[attr-defined]
    assert editor.encoding == encoding  # type: ignore[attr-defined]
    text = CONFIG.replace("      - build\n", '      - build: {name: "\U0001f680"}\n') \
        .replace("requires: [build]", "requires: [\U0001f680, biuld]")
    u = open_doc(editor, _config_path(tmp_path), text)
    (d,) = await diagnostics(editor, u, 1)
    line = text.split("\n")[d.range.start.line]
    assert d.code == "requires-unknown"
    assert d.range.start.character == line.index("biuld") + units - 1
    assert d.range.end.character - d.range.start.character == len("biuld")
    # and back: the column the editor sends is read in the same units
    refs = await editor.text_document_references_async(lsp.ReferenceParams(
        text_document=doc_id(u), position=lsp.Position(line=d.range.start.line,
                                                       character=d.range.start.character + 1),
        context=lsp.ReferenceContext(include_declaration=True)))
    assert refs is not None and [r.range.start.character for r in refs] == \
        [d.range.start.character]


CHAIN = """\
version: 2.1
commands:
  greet:
    parameters:
      who: {type: string, default: x}
    steps:
      - run: echo << parameters.whom >>
jobs:
  build:
    docker: [{image: x}]
    steps:
      - greet
workflows:
  main:
    jobs: [build]
"""


@pytest.mark.asyncio
async def test_invocation_chain_as_related_locations(client: RecordingClient,
                                                     tmp_path: Path) -> None:
    """A finding inside a command names where it was invoked: each place is a related
    location the editor can jump to."""
    u = open_doc(client, _config_path(tmp_path), CHAIN)
    (d,) = await diagnostics(client, u, 1)
    assert d.code == "param-undeclared"
    assert d.related_information is not None
    lines = CHAIN.split("\n")
    assert [(r.location.uri, r.location.range.start.line, r.message)
            for r in d.related_information] == [
        (u, lines.index("      - greet"), "invoked at 12:9"),
        (u, lines.index("    jobs: [build]"), "invoked at 15:12")]


@pytest.mark.asyncio
async def test_cci_ignore_comments(client: RecordingClient, tmp_path: Path) -> None:
    """The comments `validate` honours silence the same findings in the editor, and one
    that silences nothing is reported."""
    text = CONFIG.replace("requires: [build]", "requires: [biuld]  # cci-ignore requires-unknown")
    u = open_doc(client, _config_path(tmp_path), text)
    assert await diagnostics(client, u, 1) == []
    change(client, u, 2, text.replace("[biuld]", "[build]"))
    (d,) = await diagnostics(client, u, 2)
    assert d.code == "suppression-unused"
    assert d.severity == lsp.DiagnosticSeverity.Warning


@pytest.mark.asyncio
async def test_project_settings_apply(client: RecordingClient, tmp_path: Path) -> None:
    """`[tool.workflowcore]` / `.workflowcore.toml` filter the editor's findings as they
    filter `validate`'s; a broken settings file is said once, as a message."""
    (tmp_path / ".git").mkdir()  # the project's top: settings are not looked for above it
    (tmp_path / ".workflowcore.toml").write_text('ignore = ["requires-*"]\n')
    text = CONFIG.replace("requires: [build]", "requires: [biuld]") \
        .replace("  working_directory: ~/project",
                 "  working_directory: ~/project\n  environment:\n    DEBUG: off")
    u = open_doc(client, _config_path(tmp_path), text)
    assert [d.code for d in await diagnostics(client, u, 1)] == ["yaml-truthy"]
    (tmp_path / ".workflowcore.toml").write_text('severity-threshold = "loud"\n')
    change(client, u, 2, text + "\n")
    assert {d.code for d in await diagnostics(client, u, 2)} == {"yaml-truthy",
                                                                 "requires-unknown"}
    (message,) = client.messages
    assert message.type == lsp.MessageType.Warning
    assert ".workflowcore.toml" in message.message and "severity-threshold" in message.message
