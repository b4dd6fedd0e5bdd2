"""The model cache (load/cache.py, load/model_codec.py, load/model_reader.py).

What it must hold: a cached model answers exactly as a fresh load does, keeps the loaded model's
sharing of objects (answers are remembered by their `id()`), is served only when nothing that
decided it changed, and is never trusted: a corrupt, truncated or tampered entry is rebuilt. Runs
that cannot read every input are never stored. `--no-cache` and `cache = false` neither read nor
write, and a cache folder that cannot be used is never an error.

Inputs are the repository's fixtures (tests/data and fixtures/); the cache's size threshold is
lowered to 0 so that these small inputs use it.
"""

from __future__ import annotations

import hmac
import json
import os
import shutil
from pathlib import Path

import pytest

from permcheck.load import cache, deployments
from tests.cli_helpers import run
from tests.conftest import ROOT

FIXTURES = ROOT / "fixtures"
MONOREPO = ROOT / "tests" / "data" / "monorepo"
SNAPSHOTS = FIXTURES / "snapshots"
PLAN = FIXTURES / "terraform" / "plan.json"

# (command, arguments): who-can-invoke, what-can-access and check over snapshots, a SAM monorepo of
# two deployments (with a CloudFormation nested stack and samconfig markers), a CloudFormation
# template, a Terraform plan
QUERIES = [
    ("who-can-invoke", ["orders-api", str(SNAPSHOTS)]),
    ("what-can-access", ["arn:aws:iam::111111111111:role/service-role/orders-api-lambda", str(SNAPSHOTS)]),
    ("check", [str(SNAPSHOTS)]),
    ("check", [str(MONOREPO)]),
    ("who-can-invoke", [f"{MONOREPO}/orders/template.yaml#ProcessorFunction", str(MONOREPO)]),
    ("who-can-invoke", ["orders-api", str(FIXTURES / "example-app" / "template.yaml")]),
    ("check", [str(FIXTURES / "example-app" / "template.yaml")]),
    ("who-can-invoke", ["aws_lambda_function.webhook", str(PLAN)]),
    ("check", [str(PLAN)]),
]


@pytest.fixture(autouse=True)
def small_inputs_too(monkeypatch):
    monkeypatch.setattr(cache, "SMALL_INPUTS", 0)


def ask(command: str, args: list[str], *extra: str):
    result = run(command, *args, "--format", "json", *extra)
    assert result.code in (0, 1), result.err
    return result.out


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*" + cache.SUFFIX)) if folder.is_dir() else []


def no_loading(monkeypatch):
    """From here on, a run that loads its inputs fails: what it answers came from the cache."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("the inputs were loaded, not read from the cache")
    monkeypatch.setattr(deployments, "load_deployments", refuse)


# -- answers -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("command", "args"), QUERIES, ids=[f"{c}-{Path(a[-1]).name}" for c, a in QUERIES])
def test_a_cached_model_answers_as_a_fresh_load(command, args, model_cache_folder, monkeypatch):
    fresh = ask(command, args, "--no-cache")
    assert entries(model_cache_folder) == []  # --no-cache writes nothing
    assert ask(command, args) == fresh  # loads, and stores the model
    assert len(entries(model_cache_folder)) == 1
    no_loading(monkeypatch)
    assert ask(command, args) == fresh  # served from the cache


def test_the_cache_is_keyed_by_the_inputs_bytes_the_options_and_the_version(tmp_path, model_cache_folder,
                                                                             monkeypatch):
    inputs = tmp_path / "snapshots"
    shutil.copytree(SNAPSHOTS, inputs)
    query = ["what-can-access", "arn:aws:iam::111111111111:role/service-role/orders-api-lambda", str(inputs)]
    ask(query[0], query[1:])
    ask(query[0], query[1:], "--region", "eu-west-1")  # another option: another entry
    assert len(entries(model_cache_folder)) == 2
    monkeypatch.setattr(cache, "_version", lambda: "99.0")
    ask(query[0], query[1:])  # another version
    assert len(entries(model_cache_folder)) == 3
    monkeypatch.undo()
    monkeypatch.setattr(cache, "SMALL_INPUTS", 0)
    monkeypatch.setenv("PERMCHECK_CACHE_DIR", str(model_cache_folder))
    details = inputs / "app-account" / "authorization-details.json"
    details.write_text(details.read_text().replace('"dynamodb:Query"', '"dynamodb:Scan"'))
    changed = ask(query[0], query[1:])
    assert len(entries(model_cache_folder)) == 4
    assert changed == ask(query[0], query[1:], "--no-cache")
    assert '"dynamodb:Scan"' in changed


def test_an_included_file_and_an_application_marker_are_checked_before_an_entry_is_used(tmp_path,
                                                                                       model_cache_folder):
    # AWS::Include: the included file's content is part of the template
    # (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/transform-aws-include.html)
    app = tmp_path / "app"
    app.mkdir()
    (app / "template.yaml").write_text(
        "Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: reader\n"
        "      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com},"
        " Action: sts:AssumeRole}]}\n      Policies:\n        - PolicyName: included\n          PolicyDocument:\n"
        "            Fn::Transform: {Name: AWS::Include, Parameters: {Location: policy.txt}}\n")
    (app / "policy.txt").write_text("Version: '2012-10-17'\nStatement: [{Effect: Allow, Action: s3:GetObject, "
                                     "Resource: 'arn:aws:s3:::reports/*'}]\n")
    query = ("what-can-access", ["Role", str(app)])
    assert "s3:GetObject" in ask(*query)
    (app / "policy.txt").write_text("Version: '2012-10-17'\nStatement: [{Effect: Allow, Action: s3:PutObject, "
                                     "Resource: 'arn:aws:s3:::reports/*'}]\n")
    answer = ask(*query)
    assert "s3:PutObject" in answer and "s3:GetObject" not in answer
    header = json.loads(entries(model_cache_folder)[0].read_bytes().split(b"\n")[2])
    assert str(app / "template.yaml") in header["probes"]  # where it looked for a samconfig/template marker
    assert [real for real, _ in header["reads"].values()] == [os.path.realpath(app / "policy.txt")]


def test_a_new_samconfig_changes_the_application_and_misses(tmp_path, model_cache_folder):
    # the SAM CLI's project root is the folder of samconfig.toml
    # (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-sam-cli-config.html)
    repo = tmp_path / "repo"
    shutil.copytree(MONOREPO, repo)
    (repo / "orders" / "samconfig.toml").unlink()
    entry_of = {}
    for step in ("before", "after"):
        ask("check", [str(repo)])
        entry_of[step] = set(entries(model_cache_folder))
        (repo / "orders" / "samconfig.toml").write_text("version = 0.1\n")
    assert len(entry_of["after"]) == 1  # the same key: the marker is checked, not keyed
    fresh = ask("check", [str(repo)], "--no-cache")
    assert ask("check", [str(repo)]) == fresh


# -- never trusted -------------------------------------------------------------------------------------

def stored_entry(folder: Path) -> tuple[Path, bytes, dict, dict, bytes]:
    """The one entry: its path, the secret, and its header and payload."""
    (path,) = entries(folder)
    data = path.read_bytes()
    assert data.startswith(cache.MAGIC)
    _, header, payload = data[len(cache.MAGIC):].split(b"\n", 2)
    return path, (folder / cache.SECRET).read_bytes(), json.loads(header), json.loads(payload), payload


def resign(path: Path, secret: bytes, header: dict, payload: bytes) -> None:
    """Write an entry as the cache itself would: a valid MAC over whatever it now holds."""
    body = json.dumps(header).encode() + b"\n" + payload
    path.write_bytes(cache.MAGIC + hmac.new(secret, body, "sha256").hexdigest().encode() + b"\n" + body)


QUERY = ("who-can-invoke", ["orders-api", str(SNAPSHOTS)])


def tamper_truncated(path, secret, header, payload, raw):
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


def tamper_statement_kept_old_mac(path, secret, header, payload, raw):
    data = path.read_bytes()
    assert b'"Allow"' in data
    path.write_bytes(data.replace(b'"Allow"', b'"Deny"', 1))  # the MAC no longer matches


def tamper_wrong_type_resigned(path, secret, header, payload, raw):
    payload["Statement"][3] = ["yes" for _ in payload["Statement"][3]]  # not_action: strings, not flags
    resign(path, secret, header, json.dumps(payload).encode())


def tamper_index_outside_resigned(path, secret, header, payload, raw):
    from permcheck.load.model_codec import pack, unpack
    lengths, items = payload["Role"][4]  # each role's policies
    payload["Role"][4] = [lengths, pack([10**6] * len(unpack(items)))]  # policies that are not in their table
    resign(path, secret, header, json.dumps(payload).encode())


def tamper_other_key_resigned(path, secret, header, payload, raw):
    resign(path, secret, {**header, "key": "0" * 64}, raw)  # an entry of another key under this name


def tamper_not_json(path, secret, header, payload, raw):
    resign(path, secret, header, b"{not json")


def tamper_other_format(path, secret, header, payload, raw):
    path.write_bytes(path.read_bytes().replace(cache.MAGIC, b"permcheck-model-cache 0\n", 1))


def tamper_new_secret(path, secret, header, payload, raw):
    (path.parent / cache.SECRET).write_bytes(os.urandom(32))  # entries another cache (machine) wrote


@pytest.mark.parametrize("tamper", [tamper_truncated, tamper_statement_kept_old_mac, tamper_wrong_type_resigned,
                                    tamper_index_outside_resigned, tamper_other_key_resigned, tamper_not_json,
                                    tamper_other_format, tamper_new_secret], ids=lambda f: f.__name__[7:])
def test_a_corrupt_or_tampered_entry_is_rebuilt_and_the_answer_is_right(tamper, model_cache_folder):
    fresh = ask(*QUERY, "--no-cache")
    ask(*QUERY)
    tamper(*stored_entry(model_cache_folder))
    assert ask(*QUERY) == fresh  # rebuilt, silently
    assert ask(*QUERY) == fresh
    path, secret, header, payload, raw = stored_entry(model_cache_folder)
    assert header["key"] == path.name[: -len(cache.SUFFIX)]


def test_an_entry_made_by_the_official_sam_translator_is_only_good_for_its_version(monkeypatch):
    # the official transform is a fallback whose output may change between releases (load/sam/official.py)
    from permcheck.load.sam import official
    monkeypatch.setattr(official, "installed_version", lambda: "1.115.0")
    made_by = {"reads": {}, "probes": {}, "tools": {official.TOOL: "1.115.0"}}
    assert cache._still(made_by)
    monkeypatch.setattr(official, "installed_version", lambda: "1.116.0")
    assert not cache._still(made_by)
    monkeypatch.setattr(official, "installed_version", lambda: None)
    assert not cache._still(made_by)


# -- what is never read or written ---------------------------------------------------------------------

def test_a_run_with_an_unreadable_input_is_never_stored(tmp_path, model_cache_folder):
    inputs = tmp_path / "in"
    shutil.copytree(SNAPSHOTS, inputs)
    (inputs / "broken.json").write_text('{"RoleDetailList": [}')
    for _ in range(2):
        result = run("who-can-invoke", "orders-api", str(inputs), "--format", "json")
        assert result.code == 2 and "broken.json" in result.err  # reported again: nothing was stored
    assert entries(model_cache_folder) == []


def test_no_cache_and_the_config_key_neither_read_nor_write(tmp_path, model_cache_folder, monkeypatch):
    config = tmp_path / "permcheck.toml"
    config.write_text("cache = false\n")
    ask(*QUERY, "--config", str(config))
    ask(*QUERY, "--no-cache")
    assert not model_cache_folder.exists()
    ask(*QUERY)  # now an entry exists …
    loaded = []
    real = deployments.load_deployments
    monkeypatch.setattr(deployments, "load_deployments", lambda *a, **k: loaded.append(1) or real(*a, **k))
    ask(*QUERY, "--no-cache")
    ask(*QUERY, "--config", str(config))
    assert loaded == [1, 1]  # … and neither run read it


def test_the_config_key_takes_only_true_or_false(tmp_path):
    config = tmp_path / "permcheck.toml"
    config.write_text('cache = "no"\n')
    result = run(QUERY[0], *QUERY[1], "--config", str(config))
    assert result.code == 2 and "cache must be true or false" in result.err


def test_an_unusable_cache_folder_is_not_an_error(tmp_path, monkeypatch):
    fresh = ask(*QUERY, "--no-cache")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("PERMCHECK_CACHE_DIR", str(blocker / "cache"))  # cannot be made
    assert ask(*QUERY) == fresh
    open_to_all = tmp_path / "open-to-all"
    open_to_all.mkdir(mode=0o777)
    open_to_all.chmod(0o777)
    monkeypatch.setenv("PERMCHECK_CACHE_DIR", str(open_to_all))  # others could write entries: not used
    assert ask(*QUERY) == fresh
    assert entries(open_to_all) == []


def test_small_inputs_skip_the_cache(monkeypatch, model_cache_folder):
    monkeypatch.setattr(cache, "SMALL_INPUTS", 1 << 20)
    ask(*QUERY)
    assert not model_cache_folder.exists()


def test_the_folder_keeps_the_most_recently_used_entries(tmp_path, model_cache_folder, monkeypatch):
    monkeypatch.setattr(cache, "MAX_ENTRIES", 2)
    for region in ("us-east-1", "eu-west-1", "eu-west-2"):
        ask(*QUERY, "--region", region)
    assert len(entries(model_cache_folder)) == 2


@pytest.mark.parametrize(("platform", "env", "expected"), [
    ("linux", {"XDG_CACHE_HOME": "/xdg"}, "/xdg/permcheck"),
    ("linux", {"XDG_CACHE_HOME": "relative"}, "HOME/.cache/permcheck"),
    ("linux", {}, "HOME/.cache/permcheck"),
    ("darwin", {}, "HOME/Library/Caches/permcheck"),
    ("win32", {"LOCALAPPDATA": "C:/Users/u/AppData/Local"}, "C:/Users/u/AppData/Local/permcheck/Cache"),
    ("linux", {"PERMCHECK_CACHE_DIR": "/chosen"}, "/chosen"),
])
def test_the_cache_lives_in_the_platforms_user_cache_folder(platform, env, expected, monkeypatch, tmp_path):
    for name in ("PERMCHECK_CACHE_DIR", "XDG_CACHE_HOME", "LOCALAPPDATA"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(cache.sys, "platform", platform)
    assert cache.folder().replace(os.sep, "/") == expected.replace("HOME", str(tmp_path).replace(os.sep, "/"))
