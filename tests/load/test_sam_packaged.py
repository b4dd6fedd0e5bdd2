"""SAM functions as the SAM CLI packages them: code a template leaves out is still deployed.

- A Zip function without `CodeUri` or `InlineCode`: `sam package`/`sam deploy` zip the template's
  folder (aws-sam-cli, samcli/lib/package/utils.py, `upload_local_artifacts`: "if local_path is not
  passed and search returns nothing build the root directory and upload to S3"), so the function
  deploys, with every grant SAM writes for it.
- An Image function without `ImageUri` whose `Metadata` names `Dockerfile` and `DockerContext`:
  `sam build` builds the image
  (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-sam-cli-using-build.html,
  "Building a container image"). Without that `Metadata` nothing can build it: refused, and the
  message says what is missing.

Both paths are pinned: permcheck's own expansion, and the official translator (when installed),
which must give the same grants.
"""

from __future__ import annotations

import pytest

from permcheck.load.inputs import Options, load_inventory
from permcheck.model.location import InputError

SAM_CLI_PACKAGE = "https://github.com/aws/aws-sam-cli/blob/develop/samcli/lib/package/utils.py"
SAM_BUILD_IMAGE = ("https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/"
                   "serverless-sam-cli-using-build.html")

HEAD = "Transform: AWS::Serverless-2016-10-31\nResources:\n"
NO_CODE = HEAD + """  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Policies: [{S3ReadPolicy: {BucketName: reports}}]
      Events:
        Topic:
          Type: SNS
          Properties:
            Topic: arn:aws:sns:us-east-1:123456789012:orders
"""
WITH_CODE = NO_CODE.replace("      Handler: app.handler\n", "      CodeUri: .\n      Handler: app.handler\n")
IMAGE = HEAD + """  Fn:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
      Policies: [{S3ReadPolicy: {BucketName: reports}}]
    Metadata:
      Dockerfile: Dockerfile
      DockerContext: ./app
      DockerTag: v1
"""


@pytest.fixture(params=["own expansion", "official translator"])
def sam_path(request, monkeypatch):
    """Each test runs through permcheck's expansion and through the official translator."""
    from permcheck.load.sam import expand as sam
    from permcheck.load.sam import official as sam_official
    if request.param == "official translator":
        pytest.importorskip("samtranslator", reason="aws-sam-translator is not installed (pip install -e '.[test]')")
        monkeypatch.setattr(sam, "_expand", _always_official)
        monkeypatch.setattr(sam_official, "available", lambda: True)
    else:
        monkeypatch.setattr(sam_official, "available", lambda: False)
    return request.param


def _always_official(*_args, **_kwargs):
    from permcheck.load.sam.core import Unsupported
    raise Unsupported(None, "(test: every template through the official translator)")


def _grants(tmp_path, text: str, name: str = "template.yaml"):
    path = tmp_path / name
    path.write_text(text)
    inventory = load_inventory([str(path)], Options())
    function = next(f for f in inventory.functions.values() if f.logical_id == "Fn")
    invoke = sorted((str(p.value), tuple(s.actions)) for s in (function.policy.statements if function.policy else ())
                    for p in s.principals or ())
    role = inventory.roles[str(function.role)]
    identity = sorted((tuple(s.actions), tuple(map(str, s.resources or ()))) for p in role.policies
                      for s in p.statements)
    return invoke, identity


def test_a_function_without_code_uri_is_the_template_folder_sam_packages(tmp_path, sam_path):
    """SAM_CLI_PACKAGE: no CodeUri → the template's folder; the grants are those of `CodeUri: .`."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    without = _grants(tmp_path / "a", NO_CODE)
    assert without == _grants(tmp_path / "b", WITH_CODE)
    invoke, identity = without
    assert invoke == [("sns.amazonaws.com", ("lambda:InvokeFunction",))]
    assert any("s3:GetObject" in actions and "arn:aws:s3:::reports/*" in resources for actions, resources in identity)


def test_code_uri_from_globals_is_still_the_code(tmp_path, sam_path):
    text = NO_CODE.replace("Resources:\n", "Globals:\n  Function:\n    CodeUri: src/\nResources:\n", 1)
    invoke, _ = _grants(tmp_path, text)
    assert invoke == [("sns.amazonaws.com", ("lambda:InvokeFunction",))]


def test_an_image_function_built_from_metadata_is_read(tmp_path, sam_path):
    """SAM_BUILD_IMAGE: `Metadata: {Dockerfile, DockerContext}` → `sam build` makes the ImageUri."""
    _, identity = _grants(tmp_path, IMAGE)
    assert any("arn:aws:s3:::reports/*" in resources for _, resources in identity)


def test_an_image_function_with_nothing_to_build_is_refused(tmp_path, monkeypatch):
    from permcheck.load.sam import official as sam_official
    monkeypatch.setattr(sam_official, "available", lambda: False)
    path = tmp_path / "template.yaml"
    path.write_text(IMAGE.split("    Metadata:")[0])
    with pytest.raises(InputError, match="'ImageUri' must be set .*Dockerfile.*DockerContext") as error:
        load_inventory([str(path)], Options())
    assert error.value.location.line == 3


def test_inline_code_beside_code_uri_wins_as_in_sam(tmp_path, sam_path):
    """SAM's own corpus (inline_precedence): both set is no error; InlineCode is the code."""
    invoke, _ = _grants(tmp_path, WITH_CODE.replace("      CodeUri: .\n", "      CodeUri: .\n      InlineCode: 'x'\n"))
    assert invoke == [("sns.amazonaws.com", ("lambda:InvokeFunction",))]
