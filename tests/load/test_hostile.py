"""Hostile and broken inputs, one case each by name: exit 2 with `FILE:LINE: what`, in bounded time.

Templates in pull requests are untrusted, and permcheck is the gate that reads them: every case
below must end in one `permcheck: error:` line — never a traceback, never a pass, never a hang.
The decoder's own unit tests are tests/load/test_decode.py; this file runs the real command line
and the directory walk, and pins `load_inventory(..., errors=[...])`: one bad file among good ones.
"""

from __future__ import annotations

import copy
import errno
import json
import os
import time
from pathlib import Path

import pytest

from permcheck.load import decode as decode_module
from permcheck.load.decode_limits import MAX_DEPTH, MAX_STATEMENTS
from permcheck.load.deployments import load_deployments
from permcheck.load.inputs import Options, _load_one, kind_of, load_inventory, read_inputs
from permcheck.model.entities import Inventory
from permcheck.model.location import InputError
from tests.cli_helpers import bug_signs, run

FN = "arn:aws:lambda:us-east-1:123456789012:function:fn"

GOOD = """\
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: fn
      Role: !GetAtt Role.Arn
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: fn-role
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
  Invoke:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref Fn
      Principal: sns.amazonaws.com
"""


def _policy_template(statements: list[dict]) -> str:
    """A role with one inline policy of `statements`, and a function that runs as it (JSON)."""
    return json.dumps({"Resources": {
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "fn", "Role": {"Fn::GetAtt": ["Role", "Arn"]}}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": "fn-role",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "Policies": [{"PolicyName": "big", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}]}}}},
        indent=1)


def _billion_laughs() -> str:
    lines = ["Resources: {}", "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 12)]
    return "\n".join(lines) + "\n"


def _statements(n: int) -> list[dict]:
    return [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::bucket{i}/*"} for i in range(n)]


# name: (file name, content, line of the error or None for "any line", a piece of the message)
#: permcheck's own message for its nesting limit (load/decode.py), never a YAML library's wording
DEEPER = f"nesting deeper than {MAX_DEPTH} levels"

HOSTILE: dict[str, tuple[str, str | bytes, int | None, str]] = {
    "billion-laughs-yaml": ("template.yaml", _billion_laughs(), None, "values (YAML alias expansion?)"),
    "deep-json": ("template.json", "[" * 100_000 + "]" * 100_000, 1, DEEPER),
    "deep-json-objects": ("template.json", '{"a":\n' * 5_000 + "1" + "}" * 5_000, MAX_DEPTH + 1, DEEPER),
    # permcheck's limit, in permcheck's words, though libyaml's scanner runs ahead into a limit of its own
    "deep-yaml-flow": ("template.yaml", "Resources: " + "[" * 100_000 + "]" * 100_000, 1, DEEPER),
    "deep-yaml-block": ("template.yaml", "".join(" " * i + "a:\n" for i in range(5_000)), MAX_DEPTH + 1,
                        DEEPER),
    "deep-yaml-intrinsics": ("template.yaml", "Resources: " + "!Not [" * 5_000 + "x" + "]" * 5_000, 1,
                             DEEPER),
    "duplicate-effect-json": ("policy.json", '{"Version": "2012-10-17", "Statement": [{\n  "Effect": "Deny",\n'
                              '  "Action": "*", "Resource": "*",\n  "Effect": "Allow"}]}', 4, "duplicate key 'Effect'"),
    "duplicate-effect-yaml": ("template.yaml", GOOD.replace("Statement: [{Effect: Allow,", "Statement: [{Effect: Allow,\n"
                              "          Effect: Deny,"), 15, "duplicate key 'Effect'"),
    "duplicate-resource-yaml": ("template.yaml", GOOD + "  Fn:\n    Type: AWS::SNS::Topic\n", 21, "duplicate key 'Fn'"),
    "non-utf8": ("template.yaml", GOOD.encode() + b"Outputs:\n  X: {Value: caf\xe9}\n", 22, "not UTF-8 text (byte 0xe9)"),
    "latin1-in-json": ("template.json", b'{"Resources": {\n"A": "\xff"}}', 2, "not UTF-8"),
    "utf16": ("template.json", '{"Resources": {}}'.encode("utf-16"), None, "UTF-16"),
    "binary-template-yaml": ("template.yaml", b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)) * 8, 1,
                             "binary file (NUL byte)"),
    "binary-png-template-yaml": ("template.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 3, "binary file"),
    "nan-json": ("policy.json", '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*",\n'
                 '"Resource": NaN}]}', 2, "NaN is not valid JSON"),
    "infinity-json": ("policy.json", '{"Version": "2012-10-17",\n"Statement": -Infinity}', 2, "Infinity is not valid JSON"),
    "nan-yaml-as-effect": ("template.yaml", GOOD.replace("[{Effect: Allow,", "[{Effect: .nan,"), 14,
                           "NaN and infinity are not valid values"),
    "inf-yaml-as-name": ("template.yaml", GOOD.replace("FunctionName: fn", "FunctionName: -.inf"), 6,
                         "NaN and infinity are not valid values"),
    "float-overflow-json": ("policy.json", '{"Version": "2012-10-17",\n"Statement": 1e999999}', 2, "out of range"),
    "100000-digit-int-json": ("policy.json", '{"Version": "2012-10-17",\n"Statement": ' + "9" * 100_000 + "}", 2,
                              "integer with more than 4300 digits"),
    "100000-digit-int-yaml": ("template.yaml", GOOD.replace("FunctionName: fn", "FunctionName: " + "1" * 100_000), 6,
                              "integer with more than 4300 digits"),
    "python-object-tag": ("template.yaml", GOOD.replace("FunctionName: fn",
                          "FunctionName: !!python/object/apply:os.system ['echo pwned']"), 6, "unknown YAML tag !!python/"),
    "python-name-tag": ("template.yaml", GOOD.replace("Action: lambda:InvokeFunction",
                        "Action: !!python/name:os.system"), 18, "unknown YAML tag !!python/name:os.system"),
    "unknown-custom-tag": ("template.yaml", GOOD.replace("!Ref Fn", "!Include fn.yaml"), 19, "unknown YAML tag !Include"),
    "100000-statements": ("template.json", _policy_template(_statements(100_000)), None,
                          f"more than {MAX_STATEMENTS} statements in one policy"),
    "deep-policy-string-in-get-policy": ("get-policy.json", json.dumps({"Policy": "[" * 100_000 + "]" * 100_000}), 1,
                                         f"Policy is not a JSON policy document: nesting deeper than {MAX_DEPTH}"),
    "lone-surrogate-json": ("template.json", '{"Resources": {"Fn": {"Type": "AWS::Lambda::Function",\n'
                            '"Properties": {"FunctionName": "f\\ud800"}}}}', 2,
                            "invalid JSON: \\ud800 is half of a UTF-16 surrogate pair, not a character"),
    "lone-surrogate-in-get-policy": ("get-policy.json", json.dumps({"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com\udfff"},
                                                "Action": "lambda:*", "Resource": FN}]})}), 1, "\\udfff is half of"),
    "duplicate-effect-in-get-policy-string": ("get-policy.json", json.dumps({"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "lambda:*",
                                                "Resource": FN}]}).replace('"Effect": "Deny"',
                                                                           '"Effect": "Deny", "Effect": "Allow"')}),
                                              1, "duplicate key 'Effect'"),
    "two-documents": ("template.yaml", GOOD + "---\nResources: {}\n", 21, "more than one YAML document"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_input_is_one_error_line_and_exit_2(name: str, tmp_path: Path) -> None:
    file_name, content, line, message = HOSTILE[name]
    path = tmp_path / file_name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    start = time.monotonic()
    for args in (["who-can-invoke", "Fn"], ["what-can-access", "Role"], ["can", "Role", "s3:GetObject", "*"],
                 ["graph"]):
        result = run(*args, str(path), "--format", "json")
        assert result.code == 2 and result.out == "", (args, result)
        assert result.err.count("\n") == 1 and not bug_signs(result.err), result.err
        where = f"{path}:{line}: " if line is not None else f"{path}:"
        assert result.err.startswith(f"permcheck: error: {where}") and message in result.err, result.err
    assert time.monotonic() - start < 20, "four runs of a hostile input must stay fast"


def test_the_good_template_of_the_table_is_good(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(GOOD)
    result = run("who-can-invoke", "Fn", str(path), "--format", "json")
    assert result.code == 0, result.err
    assert [p["principal"] for p in result.json()["principals"]] == ["sns.amazonaws.com"]


def test_a_file_over_the_size_limit_through_the_command_line(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(GOOD)
    monkeypatch.setattr(decode_module, "MAX_FILE_BYTES", 100)  # no need to write gigabytes
    result = run("who-can-invoke", "Fn", str(path))
    assert result.code == 2
    assert result.err == f"permcheck: error: {path}: file is {len(GOOD)} bytes, more than the limit of 100\n"


def test_a_policy_at_the_statement_limit_loads_and_answers_in_seconds(tmp_path: Path) -> None:
    statements = [{"Effect": "Allow" if i % 2 else "Deny", "Action": ["s3:GetObject", "lambda:InvokeFunction"],
                   "Resource": [f"arn:aws:s3:::bucket{i}/*", f"{FN}{i}*"],
                   "Condition": {"StringEquals": {"aws:SourceAccount": str(i)}}} for i in range(MAX_STATEMENTS)]
    path = tmp_path / "template.json"
    path.write_text(_policy_template(statements))
    start = time.monotonic()
    invoke = run("who-can-invoke", "Fn", str(path), "--format", "json")
    can = run("can", "Role", "s3:GetObject", "arn:aws:s3:::bucket5/x", str(path), "--format", "json")
    assert invoke.code == 0 and can.code == 0, (invoke.err, can.err)
    assert can.json()["decision"] == "conditional"
    assert time.monotonic() - start < 15  # about 2 s each on 2 cores


# -- the directory walk --------------------------------------------------------------------------------


def _tree(tmp_path: Path) -> Path:
    """A directory with one good template in it."""
    root = tmp_path / "repo"
    root.mkdir()
    (root / "template.yaml").write_text(GOOD)
    return root


def test_symlink_cycles_in_a_walk_terminate(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    (root / "sub").mkdir()
    (root / "sub" / "up").symlink_to("..")            # a directory cycle: not followed
    (root / "sub" / "self").symlink_to(".")
    (root / "sub" / "again.yaml").symlink_to(root)    # a link to a directory, named like a template
    (root / "loop.yaml").symlink_to("loop.yaml")       # a file link to itself
    start = time.monotonic()
    errors: list[InputError] = []
    inventory = load_inventory([str(root)], Options(), errors=errors)
    assert time.monotonic() - start < 5
    assert list(inventory.functions) == [FN]
    assert [(e.location.file, e.message) for e in errors] == [
        (str(root / "loop.yaml"), "cannot read file: Too many levels of symbolic links")]
    with pytest.raises(InputError) as info:  # without `errors`, the first bad file stops the run
        load_inventory([str(root)], Options())
    assert info.value.location.file == str(root / "loop.yaml")


def test_a_symlink_loop_named_directly_is_an_error_not_a_missing_file(tmp_path: Path) -> None:
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    result = run("who-can-invoke", "Fn", str(loop))
    assert result.code == 2
    assert result.err == f"permcheck: error: {loop}: cannot read file: Too many levels of symbolic links\n"


def test_a_symlinked_directory_is_not_walked(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "other.yaml").write_text(GOOD.replace("fn", "other"))
    root = _tree(tmp_path)
    (root / "linked").symlink_to(outside)
    assert [f for f, _ in _walked(root)] == [str(root / "template.yaml")]


def _walked(root: Path) -> list[tuple[str, bool]]:
    from permcheck.load.inputs import walk
    return walk([str(root)])


def test_a_dangling_symlink_in_a_walk_is_reported(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    (root / "gone.json").symlink_to(tmp_path / "nowhere.json")
    errors: list[InputError] = []
    assert list(load_inventory([str(root)], Options(), errors=errors).functions) == [FN]
    # permcheck's words, then the operating system's (its text for ENOENT, whatever the C library says)
    assert [str(e) for e in errors] == [f"{root / 'gone.json'}: cannot read file: {os.strerror(errno.ENOENT)}"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_in_a_walk_is_reported_without_waiting_for_a_writer(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    os.mkfifo(root / "pipe.yaml")
    errors: list[InputError] = []
    start = time.monotonic()
    assert list(load_inventory([str(root)], Options(), errors=errors).functions) == [FN]
    assert time.monotonic() - start < 5
    assert [str(e) for e in errors] == [f"{root / 'pipe.yaml'}: not a regular file (a FIFO, socket or device)"]


def test_an_unreadable_file_in_a_walk_is_reported(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    locked = root / "locked.yaml"
    locked.write_text(GOOD)
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("chmod 000 does not stop this user (root)")
        errors: list[InputError] = []
        assert list(load_inventory([str(root)], Options(), errors=errors).functions) == [FN]
        assert [str(e) for e in errors] == [f"{locked}: cannot read file: Permission denied"]
        result = run("who-can-invoke", "Fn", str(root))
        assert result.code == 2 and result.err == f"permcheck: error: {locked}: cannot read file: Permission denied\n"
    finally:
        locked.chmod(0o644)


# -- one bad file among good ones: load_inventory(..., errors=[...]) ---------------------------------


def _repo(tmp_path: Path) -> Path:
    """Good inputs around bad ones: a binary file, a duplicate key, and a template whose loading fails."""
    root = _tree(tmp_path)
    (root / "b-binary.yaml").write_bytes(b"\x00\x01binary")
    (root / "c-duplicate.json").write_text('{"Version": "2012-10-17",\n "Version": "2012-10-17", "Statement": []}')
    (root / "d-bad-intrinsic.yaml").write_text(GOOD.replace("fn", "other").replace("Fn", "Other").replace(
        "FunctionName: !Ref Other", "FunctionName: {Fn::Frobnicate: x}"))
    (root / "e-not-an-input.json").write_text('{"hello": "world"}')  # skipped in a walk: not an error
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    (root / "f-policy.json").write_text(json.dumps(policy))
    return root


def test_one_bad_file_among_good_ones_is_collected_and_the_rest_loads(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    errors: list[InputError] = []
    inventory = load_inventory([str(root)], Options(), errors=errors)
    assert list(inventory.functions) == [FN]
    assert [p.name for p in inventory.loose_policies] == ["f-policy.json"]
    assert [(Path(e.location.file).name, e.location.line) for e in errors] == [
        ("b-binary.yaml", 1), ("c-duplicate.json", 2), ("d-bad-intrinsic.yaml", 19)]
    assert errors[1].message.startswith("duplicate key 'Version' on lines 1 and 2") and "Fn::Frobnicate" in errors[2].message


def test_without_errors_the_first_bad_file_raises_as_before(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    with pytest.raises(InputError) as info:
        load_inventory([str(root)], Options())
    assert Path(info.value.location.file).name == "b-binary.yaml"
    (root / "b-binary.yaml").unlink()
    (root / "c-duplicate.json").unlink()
    with pytest.raises(InputError) as info:  # a loading error, after decoding went well
        load_inventory([str(root)], Options())
    assert Path(info.value.location.file).name == "d-bad-intrinsic.yaml"


def test_a_file_that_fails_half_way_leaves_nothing_behind(tmp_path: Path) -> None:
    # The role is read before the permission that fails: loaded alone into an inventory, the
    # file leaves its role there; with `errors`, the run must not keep half a file.
    root = _tree(tmp_path)
    bad = GOOD.replace("fn", "half").replace("Fn", "Half").replace(
        "Principal: sns.amazonaws.com", "Principal: sns.amazonaws.com\n      Frobnicate: yes")
    (root / "half.yaml").write_text(bad)
    partial = Inventory()
    document = read_inputs([str(root / "half.yaml")])[0][2]
    with pytest.raises(InputError):
        _load_one(str(root / "half.yaml"), kind_of(document), document, "123456789012", Options(), partial)
    assert any("half-role" in arn for arn in partial.roles), "the case needs a file that fails after adding a role"
    errors: list[InputError] = []
    inventory = load_inventory([str(root)], Options(), errors=errors)
    assert [Path(e.location.file).name for e in errors] == ["half.yaml"] and "Frobnicate" in errors[0].message
    assert sorted(inventory.roles) == ["arn:aws:iam::123456789012:role/fn-role"]
    assert list(inventory.functions) == [FN]


def test_loaders_never_change_the_documents_they_read(tmp_path: Path) -> None:
    # `load_inventory(errors=...)` loads again without the files that failed, and a monorepo
    # loads each deployment again, from the same decoded documents: that is only right while
    # loading leaves them as they were. (fixtures/ is such a monorepo: the Terraform plan and
    # the example app both create the role orders-api-role.)
    root = Path(__file__).resolve().parents[2] / "fixtures"
    documents = read_inputs([str(root)])
    assert len(documents) >= 5
    before = copy.deepcopy(documents)
    assert len(load_deployments([str(root)], Options())) > 1
    assert documents == before and [d[2] for d in read_inputs([str(root)])] == [d[2] for d in before]


def test_whole_run_errors_still_raise_with_errors(tmp_path: Path) -> None:
    errors: list[InputError] = []
    with pytest.raises(InputError, match="no such file or directory"):
        load_inventory([str(tmp_path / "missing")], Options(), errors=errors)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="directory holds no"):
        load_inventory([str(empty)], Options(), errors=errors)
    (empty / "notes.json").write_text('{"hello": 1}')
    with pytest.raises(InputError, match="nothing to analyse: no template"):
        load_inventory([str(empty)], Options(), errors=errors)
    assert errors == []


def test_when_every_file_fails_the_errors_are_kept_and_the_run_has_nothing_to_analyse(tmp_path: Path) -> None:
    root = tmp_path / "bad"
    root.mkdir()
    (root / "a.yaml").write_bytes(b"\xff")
    (root / "b.yaml").write_text("Resources:\n  A: {Type: AWS::Lambda::Permission, Properties: {Frobnicate: 1}}\n")
    errors: list[InputError] = []
    with pytest.raises(InputError) as info:
        load_inventory([str(root)], Options(), errors=errors)
    assert [Path(e.location.file).name for e in errors] == ["a.yaml", "b.yaml"]
    assert info.value.message == "nothing to analyse: 1 of 1 inputs could not be loaded"
    (root / "b.yaml").unlink()
    errors.clear()
    with pytest.raises(InputError) as info:
        load_inventory([str(root)], Options(), errors=errors)
    assert info.value.message == "nothing to analyse: 1 of 1 input files could not be read" and len(errors) == 1


def test_a_named_file_that_is_not_an_input_is_collected(tmp_path: Path) -> None:
    good = _tree(tmp_path) / "template.yaml"
    other = tmp_path / "x.json"
    other.write_text('{"hello": 1}')
    errors: list[InputError] = []
    assert list(load_inventory([str(other), str(good)], Options(), errors=errors).functions) == [FN]
    assert len(errors) == 1 and str(errors[0]).startswith(f"{other}:1: not a CloudFormation")


# -- wildcard patterns that make a backtracking regex explode (ReDoS) ---------------------------------

REDOS = "*?" * 12 + "b"  # `.*..*..*.` ... against 60 characters: C(60, 12) ways to fail


def test_a_wildcard_pattern_cannot_stall_the_gate(tmp_path: Path) -> None:
    import subprocess
    import sys

    cases = {
        "resource": ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + REDOS},
                     ["can", "Role", "s3:GetObject", "arn:aws:s3:::" + "a" * 60]),
        "action": ({"Effect": "Allow", "Action": "s3:" + REDOS, "Resource": "*"}, ["check"]),
        "condition": ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                       "Condition": {"StringLike": {"aws:SourceArn": REDOS}}},
                      ["can", "Role", "s3:GetObject", "arn:aws:s3:::x"]),
    }
    running = {}
    for name, (statement, args) in cases.items():
        path = tmp_path / f"{name}.json"
        path.write_text(_policy_template([statement]))
        running[name] = subprocess.Popen([sys.executable, "-c", "from permcheck.cli import run; run()", *args, str(path)],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline, stalled = time.monotonic() + 6, []
    for name, process in running.items():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            stalled.append(name)
    assert not stalled, f"still matching after 6 s: {stalled}"


def test_an_intrinsic_cannot_build_a_gigabyte_string(tmp_path: Path) -> None:
    """`Fn::Join` of one big parameter 3,000 times (and the same through `Fn::Sub`) is refused
    at its line in well under a second, not built."""
    big = "x" * 400_000
    for name, value in (("join", {"Fn::Join": ["", [{"Ref": "P"}] * 3000]}),
                        ("sub", {"Fn::Sub": "${P}" * 3000})):
        template = {"Parameters": {"P": {"Type": "String", "Default": big}},
                    "Resources": {"F": {"Type": "AWS::Lambda::Function",
                                        "Properties": {"FunctionName": value, "Role": "arn:aws:iam::1:role/r"}}}}
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(template))
        started = time.monotonic()
        result = run("who-can-invoke", "F", str(path))
        assert result.code == 2 and "at most 1,048,576 are read" in result.err, result.err
        assert time.monotonic() - started < 5


def test_a_walk_skips_other_tools_data_files_but_not_a_broken_input(tmp_path):
    """A directory walk meets files with a template's extension that are no input at all — a dotenv
    `environment.template`, JSON Lines test data in a `.json` — and skips them as it skips any file
    that is no input; a file it cannot decode that names an input's keys (a broken template) is still
    an error, and one named directly always is (contract, Inputs)."""
    from tests.cli_helpers import run
    (tmp_path / "environment.template").write_text("S3BUCKET=your_deployment_bucket\nPROFILE=default\n")
    (tmp_path / "events.json").write_text('{"data": {}}\n{"data": {}}\n')
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: {QueueName: q}\n")
    assert run("check", str(tmp_path)).code == 0
    assert run("check", str(tmp_path / "events.json")).code == 2
    (tmp_path / "broken.yaml").write_text("Resources:\n  Q: [\n")
    result = run("check", str(tmp_path))
    assert result.code == 2 and "broken.yaml" in result.err
